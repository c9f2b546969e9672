/**
 * The inspector (right side): the focused point (or semantic query), the k
 * and metric controls (metrics and the largest k from the kernel's `_spec`),
 * and its nearest neighbours, closest first. Clicking a neighbour focuses it.
 * Text only through textContent.
 */
import type { Spec } from "../contract/protocol";
import type { Neighbors } from "../contract/wireColumns";
import { formatDistance } from "../contract/wireColumns";
import { h, listen } from "./dom";
import { truncate } from "./tooltip";

export interface InspectorHandlers {
  focus(index: number): void;
  k(k: number): void;
  metric(metric: string): void;
  close(): void;
  hover(index: number): void;
}

export class Inspector {
  readonly el: HTMLDivElement;
  private readonly title = h("div", "pw-inspector-title");
  private readonly subtitle = h("div", "pw-inspector-subtitle");
  private readonly kInput = h("input", "pw-input pw-k");
  private readonly metric = h("select", "pw-select pw-metric");
  private readonly list = h("ol", "pw-neighbors");
  private readonly offs: (() => void)[] = [];
  private count = 0;
  private readonly controls: HTMLDivElement;
  /** Shown instead of neighbours that cannot be computed (a saved page); "" when they can. */
  private offline = "";
  /** The most neighbours the kernel computes (`_spec`); until it is known, k is not clamped above. */
  private kMax = Number.POSITIVE_INFINITY;
  private metrics: readonly string[] = [];
  /** The model's metric (shown once the kernel offers it). */
  private wantedMetric = "";

  constructor(handlers: InspectorHandlers) {
    this.el = h("div", "pw-inspector");
    this.el.hidden = true;
    this.el.setAttribute("aria-label", "Nearest neighbours");
    const head = h("div", "pw-inspector-head");
    const close = h("button", "pw-button pw-inspector-close", "\u00d7");
    close.type = "button";
    close.title = "Close (Escape)";
    close.setAttribute("aria-label", "Close the inspector");
    head.append(this.title, close);
    this.kInput.type = "number";
    this.kInput.min = "1";
    this.kInput.title = "Number of neighbours";
    this.metric.title = "Distance used for the neighbours";
    const controls = h("div", "pw-row pw-inspector-controls");
    this.controls = controls;
    const kl = h("label", "pw-field pw-field-inline");
    kl.append(h("span", "pw-field-label", "k"), this.kInput);
    controls.append(kl, this.metric);
    this.el.append(head, this.subtitle, controls, this.list);
    const sendK = (): void => {
      const k = Math.round(Number(this.kInput.value));
      if (Number.isFinite(k)) handlers.k(Math.max(1, Math.min(this.kMax, k)));
    };
    this.offs.push(
      listen(close, "click", () => handlers.close()),
      listen(this.kInput, "change", sendK),
      listen<KeyboardEvent>(this.kInput, "keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          sendK();
        }
      }),
      listen(this.metric, "change", () => handlers.metric(this.metric.value)),
      listen<MouseEvent>(this.list, "click", (e) => {
        const item = (e.target as Element).closest(".pw-neighbor");
        if (item instanceof HTMLElement && item.dataset.index !== undefined) handlers.focus(Number(item.dataset.index));
      }),
      listen<MouseEvent>(this.list, "mouseover", (e) => {
        const item = (e.target as Element).closest(".pw-neighbor");
        handlers.hover(item instanceof HTMLElement ? Number(item.dataset.index) : -1);
      }),
      listen(this.list, "mouseleave", () => handlers.hover(-1)),
    );
  }

  /**
   * No kernel to ask for neighbours: hide k and the metric, and show `message`
   * where neighbours would be (neighbours saved with the page still show).
   */
  setOffline(message: string): void {
    this.offline = message;
    this.controls.hidden = message !== "";
  }

  setK(k: number): void {
    if (document.activeElement !== this.kInput) this.kInput.value = String(k);
  }

  /** The kernel's rules: the metrics it offers (the default first) and the largest k. */
  setSpec(spec: Spec | null): void {
    this.metrics = spec?.metrics ?? [];
    this.metric.replaceChildren();
    for (const m of this.metrics) {
      const o = h("option", undefined, m);
      o.value = m;
      this.metric.append(o);
    }
    this.setMetric(this.wantedMetric);
    this.kMax = spec?.kMax ?? Number.POSITIVE_INFINITY;
    if (spec) this.kInput.max = String(spec.kMax);
    else this.kInput.removeAttribute("max");
  }

  /** Show `metric`, or the default one when the kernel does not offer it. */
  setMetric(metric: string): void {
    this.wantedMetric = metric;
    this.metric.value = this.metrics.includes(metric) ? metric : (this.metrics[0] ?? "");
  }

  /**
   * Show the inspector for `focus` (with its label) or a semantic query, and
   * the neighbours when they belong to it; hide it when neither is active.
   */
  show(focus: number, focusLabel: string, query: string | null, nb: Neighbors | null): void {
    const active = focus >= 0 || query !== null;
    this.el.hidden = !active;
    if (!active) {
      this.count = 0;
      return;
    }
    if (focus >= 0) {
      this.title.textContent = focusLabel ? `#${focus} ${truncate(focusLabel, 80)}` : `#${focus}`;
      this.subtitle.textContent = "Nearest neighbours";
    } else {
      this.title.textContent = `\u201c${truncate(query ?? "", 80)}\u201d`;
      this.subtitle.textContent = "Semantic query \u00b7 nearest points";
    }
    const matches = nb !== null && (focus >= 0 ? nb.index === focus : nb.index === -1);
    this.list.replaceChildren();
    this.count = 0;
    if (!matches || !nb) {
      this.list.append(h("li", "pw-empty", this.offline || "\u2026"));
      return;
    }
    for (let j = 0; j < nb.indices.length; j++) {
      const li = h("li", "pw-neighbor");
      const idx = nb.indices[j];
      li.dataset.index = String(idx);
      const label = nb.labels[j] || `#${idx}`;
      const name = h("span", "pw-neighbor-label", truncate(label, 120));
      name.title = label;
      li.append(name, h("span", "pw-neighbor-distance", formatDistance(nb.distances[j])));
      this.list.append(li);
    }
    this.count = nb.indices.length;
    if (this.count === 0) this.list.append(h("li", "pw-empty", "No neighbours"));
  }

  /** Neighbours listed. */
  get neighborCount(): number {
    return this.count;
  }

  dispose(): void {
    for (const off of this.offs) off();
    this.offs.length = 0;
  }
}
