/** The lasso's visible path: an SVG polygon over the canvas (a halo under a dashed line). */

const SVG_NS = "http://www.w3.org/2000/svg";

export class LassoOverlay {
  readonly el: SVGSVGElement;
  private readonly halo: SVGPolygonElement;
  private readonly line: SVGPolygonElement;

  constructor() {
    this.el = document.createElementNS(SVG_NS, "svg");
    this.el.setAttribute("class", "pw-lasso");
    this.el.setAttribute("aria-hidden", "true");
    this.halo = document.createElementNS(SVG_NS, "polygon");
    this.halo.setAttribute("class", "pw-lasso-halo");
    this.line = document.createElementNS(SVG_NS, "polygon");
    this.line.setAttribute("class", "pw-lasso-line");
    this.el.append(this.halo, this.line);
  }

  /** Draw the path [x0, y0, x1, y1, ...] (CSS px), closed; null hides it. */
  draw(path: readonly number[] | null): void {
    if (!path || path.length < 4) {
      this.halo.setAttribute("points", "");
      this.line.setAttribute("points", "");
      this.el.classList.remove("pw-lasso-active");
      return;
    }
    let s = "";
    for (let i = 0; i + 1 < path.length; i += 2) s += `${path[i].toFixed(1)},${path[i + 1].toFixed(1)} `;
    this.halo.setAttribute("points", s);
    this.line.setAttribute("points", s);
    this.el.classList.add("pw-lasso-active");
  }
}
