import { describe, expect, it } from "vitest";
import type { RGB } from "../scene/colors";
import { detectHostTheme, type HostProbe, luminance } from "./theme";

interface Page {
  html?: { attrs?: Record<string, string>; classes?: string[] };
  body?: { attrs?: Record<string, string>; classes?: string[] };
  vars?: Record<string, RGB>;
  prefersDark?: boolean;
}

function probe(page: Page): HostProbe {
  return {
    attr: (el, name) => page[el]?.attrs?.[name] ?? null,
    hasClass: (el, name) => page[el]?.classes?.includes(name) ?? false,
    color: (name) => page.vars?.[name] ?? null,
    prefersDark: page.prefersDark ?? false,
  };
}

// ipywidgets' stylesheet defines JupyterLab's light variables on every host that loads it.
const IPYWIDGETS_LIGHT = { "--jp-layout-color0": [255, 255, 255] as RGB };
const DARK: RGB = [30, 30, 30];
const LIGHT: RGB = [250, 250, 250];

describe("detectHostTheme", () => {
  it("reads JupyterLab's theme attribute, whatever the system prefers", () => {
    expect(detectHostTheme(probe({ body: { attrs: { "data-jp-theme-light": "false" } }, vars: IPYWIDGETS_LIGHT }))).toEqual({
      host: "jupyter",
      scheme: "dark",
    });
    expect(detectHostTheme(probe({ body: { attrs: { "data-jp-theme-light": "true" } }, prefersDark: true }))).toEqual({
      host: "jupyter",
      scheme: "light",
    });
  });

  it("takes VS Code's theme kind over the light --jp-* variables ipywidgets brings there", () => {
    const dark = { body: { attrs: { "data-vscode-theme-kind": "vscode-dark" }, classes: ["vscode-dark"] }, vars: IPYWIDGETS_LIGHT };
    expect(detectHostTheme(probe(dark))).toEqual({ host: "vscode", scheme: "dark" });
    expect(detectHostTheme(probe({ body: { classes: ["vscode-high-contrast"] } }))).toEqual({ host: "vscode", scheme: "dark" });
    expect(detectHostTheme(probe({ body: { classes: ["vscode-high-contrast-light"] } }))).toEqual({ host: "vscode", scheme: "light" });
    expect(detectHostTheme(probe({ body: { classes: ["vscode-light"] }, prefersDark: true }))).toEqual({ host: "vscode", scheme: "light" });
    // Only the variables: their background decides.
    expect(detectHostTheme(probe({ vars: { "--vscode-editor-background": DARK } }))).toEqual({ host: "vscode", scheme: "dark" });
  });

  it("recognises Colab by its variables; its stated theme, else its surface colour, decides", () => {
    const colab = (surface: RGB, extra: Page = {}): Page => ({
      ...extra,
      vars: { ...IPYWIDGETS_LIGHT, "--colab-primary-surface-color": surface },
    });
    expect(detectHostTheme(probe(colab(DARK)))).toEqual({ host: "colab", scheme: "dark" });
    expect(detectHostTheme(probe(colab(LIGHT)))).toEqual({ host: "colab", scheme: "light" });
    expect(detectHostTheme(probe(colab(LIGHT, { html: { attrs: { theme: "dark" } } })))).toEqual({ host: "colab", scheme: "dark" });
    expect(detectHostTheme(probe(colab(DARK, { body: { classes: ["theme-light"] } })))).toEqual({ host: "colab", scheme: "light" });
  });

  it("follows a page that says light or dark on html or body (marimo)", () => {
    expect(detectHostTheme(probe({ body: { classes: ["dark", "dark-theme"], attrs: { "data-theme": "dark" } } }))).toEqual({
      host: "other",
      scheme: "dark",
    });
    expect(detectHostTheme(probe({ body: { classes: ["light"] }, prefersDark: true }))).toEqual({ host: "other", scheme: "light" });
    expect(detectHostTheme(probe({ html: { attrs: { "data-theme": "dark" } } }))).toEqual({ host: "other", scheme: "dark" });
  });

  it("reads JupyterLab's variables where no host says more, then the system's preference", () => {
    expect(detectHostTheme(probe({ vars: IPYWIDGETS_LIGHT, prefersDark: true }))).toEqual({ host: "jupyter", scheme: "light" });
    expect(detectHostTheme(probe({ vars: { "--jp-layout-color0": DARK } }))).toEqual({ host: "jupyter", scheme: "dark" });
    expect(detectHostTheme(probe({ prefersDark: true }))).toEqual({ host: "other", scheme: "dark" });
    expect(detectHostTheme(probe({}))).toEqual({ host: "other", scheme: "light" });
  });
});

describe("luminance", () => {
  it("is 0 for black, 1 for white, and weighs green most", () => {
    expect(luminance([0, 0, 0])).toBe(0);
    expect(luminance([255, 255, 255])).toBeCloseTo(1, 10);
    expect(luminance([0, 255, 0])).toBeGreaterThan(luminance([255, 0, 0]));
  });
});
