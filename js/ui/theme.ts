/** Read the host's theme colours (JupyterLab CSS variables resolve through style/theme.css). */
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
  // A string that is not a colour leaves fillStyle as it was: set two different colours first.
  probe.fillStyle = "#000";
  probe.fillStyle = css;
  const afterBlack = probe.fillStyle;
  probe.fillStyle = "#fff";
  probe.fillStyle = css;
  if (probe.fillStyle !== afterBlack) return fallback;
  probe.clearRect(0, 0, 1, 1);
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

/**
 * The notebook host a view sits in, as far as its colours go: `jupyter` (JupyterLab, Notebook 7,
 * Voila, nbconvert pages: the `--jp-*` variables are the theme), `vscode` (`--vscode-*`), `colab`
 * (`--colab-*`) or `other` (marimo, a plain page: the widget's own palette).
 */
export type HostKind = "jupyter" | "vscode" | "colab" | "other";
export type Scheme = "light" | "dark";

export interface HostTheme {
  host: HostKind;
  scheme: Scheme;
}

/** What the detection reads of the page (a document in the browser, plain values in tests). */
export interface HostProbe {
  /** An attribute of `<html>` or `<body>`, or null. */
  attr(el: "html" | "body", name: string): string | null;
  /** Whether `<html>` or `<body>` has the class. */
  hasClass(el: "html" | "body", name: string): boolean;
  /** A colour custom property as the page defines it (null when undefined or not a colour). */
  color(name: string): RGB | null;
  /** The system's `prefers-color-scheme: dark`. */
  prefersDark: boolean;
}

const ELEMENTS = ["html", "body"] as const;

/** Relative luminance (0 black, 1 white) of an sRGB colour. */
export function luminance([r, g, b]: RGB): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

const schemeOf = (background: RGB): Scheme => (luminance(background) < 0.2 ? "dark" : "light");

/**
 * Which host this is, and whether it is light or dark. Each host is recognised by what it sets
 * on the page, and the first that matches wins:
 *
 * - VS Code's notebook webview: `data-vscode-theme-kind` and a `vscode-light`, `vscode-dark` or
 *   `vscode-high-contrast(-light)` class on `<body>`, and the `--vscode-*` variables (inline on
 *   `<html>`). It also loads ipywidgets' stylesheet, whose `--jp-*` variables are JupyterLab's
 *   *light* theme whatever VS Code's is; hence the order.
 * - Colab: its `--colab-*` variables (`--colab-primary-surface-color`, `--colab-primary-text-color`,
 *   `--colab-border-color`, ... as pages styled for Colab use them), with `theme="dark"` on
 *   `<html>` or a `theme-dark` / `theme-light` class on `<body>` where present, else the
 *   lightness of its surface colour (Colab's "adaptive" theme follows the system).
 * - JupyterLab and Notebook 7 (their theme manager sets `data-jp-theme-light` on `<body>`; so do
 *   nbconvert's and Voila's lab templates).
 * - A page that says light or dark on `<html>` or `<body>`: marimo (`class="dark"`,
 *   `data-theme="dark"`), and the same convention elsewhere (`dark-theme`, `data-mode`).
 * - A page with JupyterLab's variables but no theme attribute (the classic notebook, other
 *   ipywidgets managers): `jupyter`, light or dark as its `--jp-layout-color0` is.
 * - Otherwise the system's `prefers-color-scheme`.
 */
export function detectHostTheme(probe: HostProbe): HostTheme {
  const kind = probe.attr("body", "data-vscode-theme-kind");
  const vscodeClass = ["vscode-light", "vscode-dark", "vscode-high-contrast", "vscode-high-contrast-light"].find((c) =>
    probe.hasClass("body", c),
  );
  const vscodeBg = probe.color("--vscode-editor-background");
  if (kind || vscodeClass || vscodeBg) {
    const k = kind ?? vscodeClass ?? "";
    const scheme: Scheme =
      k === "vscode-dark" || k === "vscode-high-contrast"
        ? "dark"
        : k === "vscode-light" || k === "vscode-high-contrast-light"
          ? "light"
          : vscodeBg
            ? schemeOf(vscodeBg)
            : probe.prefersDark
              ? "dark"
              : "light";
    return { host: "vscode", scheme };
  }

  const colabBg = probe.color("--colab-primary-surface-color");
  const colabTheme = probe.attr("html", "theme");
  const colabClass = probe.hasClass("body", "theme-dark") ? "dark" : probe.hasClass("body", "theme-light") ? "light" : null;
  if (colabBg) {
    const stated = colabTheme === "dark" || colabTheme === "light" ? colabTheme : colabClass;
    return { host: "colab", scheme: stated ?? schemeOf(colabBg) };
  }

  const jpLight = probe.attr("body", "data-jp-theme-light");
  if (jpLight === "true" || jpLight === "false") return { host: "jupyter", scheme: jpLight === "false" ? "dark" : "light" };

  for (const el of ELEMENTS) {
    for (const name of ["data-theme", "data-mode", "theme"]) {
      const v = probe.attr(el, name);
      if (v === "dark" || v === "light") return { host: "other", scheme: v };
    }
    for (const scheme of ["dark", "light"] as const) {
      if (probe.hasClass(el, scheme) || probe.hasClass(el, `${scheme}-theme`) || probe.hasClass(el, `${scheme}-mode`)) {
        return { host: "other", scheme };
      }
    }
  }

  const jpBg = probe.color("--jp-layout-color0");
  if (jpBg) return { host: "jupyter", scheme: schemeOf(jpBg) };
  return { host: "other", scheme: probe.prefersDark ? "dark" : "light" };
}

/** The probe of the page `el` is in. */
export function documentProbe(el: Element): HostProbe {
  const doc = el.ownerDocument;
  const of = (which: "html" | "body"): Element | null => (which === "html" ? doc.documentElement : doc.body);
  const view = doc.defaultView;
  const styles = ELEMENTS.map((which) => {
    const node = of(which);
    return node && view ? view.getComputedStyle(node) : null;
  });
  return {
    attr: (which, name) => of(which)?.getAttribute(name) ?? null,
    hasClass: (which, name) => of(which)?.classList.contains(name) ?? false,
    color: (name) => {
      for (const cs of styles) {
        const value = cs?.getPropertyValue(name).trim();
        if (value) return cssToRgbOrNull(value);
      }
      return null;
    },
    prefersDark: view?.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false,
  };
}

function cssToRgbOrNull(css: string): RGB | null {
  const marker: RGB = [-1, -1, -1];
  const rgb = cssToRgb(css, marker);
  return rgb === marker ? null : rgb;
}

/**
 * Mark `root` with the host and scheme of its page (`data-pw-host`, `data-pw-scheme`), which
 * style/theme.css turns into colours; returns what it found.
 */
export function markHostTheme(root: HTMLElement): HostTheme {
  const theme = detectHostTheme(documentProbe(root));
  if (root.dataset.pwHost !== theme.host) root.dataset.pwHost = theme.host;
  if (root.dataset.pwScheme !== theme.scheme) root.dataset.pwScheme = theme.scheme;
  return theme;
}
