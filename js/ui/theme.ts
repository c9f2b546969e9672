/** Read the host's theme colours (JupyterLab CSS variables resolve through style.css). */
import { parseCssRgb, type RGB } from "../scene/colors";

let probe: CanvasRenderingContext2D | null | undefined;

/** Resolve any CSS colour string to RGB (rgb() fast path, else a 1x1 canvas). */
export function cssToRgb(css: string, fallback: RGB): RGB {
  const direct = parseCssRgb(css);
  if (direct) return direct;
  if (!css || css === "transparent") return fallback;
  if (probe === undefined) {
    const c = document.createElement("canvas");
    c.width = c.height = 1;
    probe = c.getContext("2d", { willReadFrequently: true });
  }
  if (!probe) return fallback;
  probe.clearRect(0, 0, 1, 1);
  probe.fillStyle = "#000";
  probe.fillStyle = css;
  probe.fillRect(0, 0, 1, 1);
  const d = probe.getImageData(0, 0, 1, 1).data;
  return d[3] === 0 ? fallback : [d[0], d[1], d[2]];
}

export interface Theme {
  background: RGB;
  foreground: RGB;
}

/** Background and text colour of an element, as computed (light fallbacks when unresolved). */
export function readTheme(el: HTMLElement): Theme {
  const cs = getComputedStyle(el);
  return {
    background: cssToRgb(cs.backgroundColor, [255, 255, 255]),
    foreground: cssToRgb(cs.color, [33, 33, 33]),
  };
}
