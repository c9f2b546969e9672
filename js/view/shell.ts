/**
 * The view's frame in the page: the DOM skeleton (toolbar slot, error and notice lines, body,
 * stage, canvas, status line), those two lines, the height, the panel toggle (open by default on
 * wide widgets until the user chooses), and watchers of the stage's size, the device pixel ratio
 * and the host's theme. No model, no renderer: callbacks only.
 */
import { h, listen } from "../ui/dom";
import { markHostTheme } from "../ui/theme";

export const DEFAULT_HEIGHT = 520;
/** The panel opens by default when the widget is at least this wide. */
export const PANEL_MIN_WIDTH = 700;

/** The root element; browser tests find their hook on it. */
export type ProjectorRoot = HTMLDivElement & { __pw?: unknown };

export interface Shell {
  root: ProjectorRoot;
  /** Where the toolbar goes (replaced by it). */
  toolbarSlot: HTMLDivElement;
  /** Panel, stage and inspector, left to right. */
  body: HTMLDivElement;
  stage: HTMLDivElement;
  canvas: HTMLCanvasElement;
  /** Show `message` on the error line ("" hides it). */
  showError(message: string): void;
  /** Show `message` on the notice line, for what the view cannot show ("" hides it). */
  showNotice(message: string): void;
  /** The widget's height in CSS px (at least 120). */
  setHeight(px: number): void;
  /** Remove the view from the page and stop its listeners. */
  dispose(): void;
}

/** Build the skeleton in `el`; `status` is the status line's element. */
export function createShell(el: HTMLElement, status: HTMLElement): Shell {
  const root = h("div", "projector-widget pw-root") as ProjectorRoot;
  root.tabIndex = 0;
  // Keys typed in the widget (search boxes, Escape, ...) are ours, not notebook shortcuts:
  // Lumino skips its keybindings for events from inside such an element.
  root.dataset.lmSuppressShortcuts = "true";
  root.dataset.pSuppressShortcuts = "true";
  const toolbarSlot = h("div", "pw-toolbar-slot");
  const body = h("div", "pw-body");
  const stage = h("div", "pw-stage");
  const canvas = h("canvas", "pw-canvas");
  const errorLine = h("div", "pw-error");
  errorLine.setAttribute("role", "alert");
  errorLine.hidden = true;
  const errorText = h("span", "pw-error-text");
  const errorDismiss = h("button", "pw-error-dismiss", "\u00d7");
  errorDismiss.type = "button";
  errorDismiss.title = "Dismiss";
  errorDismiss.setAttribute("aria-label", "Dismiss the error");
  errorLine.append(errorText, errorDismiss);
  const noticeLine = h("div", "pw-notice");
  noticeLine.setAttribute("role", "status");
  noticeLine.hidden = true;
  stage.append(canvas);
  root.append(toolbarSlot, errorLine, noticeLine, body, status);
  el.append(root);

  const showError = (message: string): void => {
    errorText.textContent = message;
    errorLine.hidden = message === "";
  };
  const off = listen(errorDismiss, "click", () => showError(""));
  return {
    root,
    toolbarSlot,
    body,
    stage,
    canvas,
    showError,
    showNotice: (message) => {
      if (noticeLine.textContent !== message) noticeLine.textContent = message;
      noticeLine.hidden = message === "";
    },
    setHeight: (px) => {
      root.style.height = `${Math.max(120, px)}px`;
    },
    dispose: () => {
      off();
      root.remove();
    },
  };
}

/** The panel's open state (see panelToggle). */
export interface PanelToggle {
  toggle(): void;
  /** Call `show(open)` now and on every change (it shows or hides the panel). */
  follow(show: (open: boolean) => void): void;
  dispose(): void;
}

/**
 * The panel's open state: opens by default when `root` is wider than PANEL_MIN_WIDTH, until
 * the user toggles it. Made before the controls whose toggle it is; they follow it once built.
 */
export function panelToggle(root: HTMLElement): PanelToggle {
  let open = false;
  let chosen = false;
  let show = (_open: boolean): void => {};
  const set = (value: boolean): void => {
    open = value;
    root.classList.toggle("pw-panel-open", value);
    show(value);
  };
  set(false);
  const ro = new ResizeObserver(() => {
    const w = root.clientWidth;
    if (!chosen && w > 0) set(w > PANEL_MIN_WIDTH);
  });
  ro.observe(root);
  return {
    toggle: () => {
      chosen = true;
      set(!open);
    },
    follow: (listener) => {
      show = listener;
      listener(open);
    },
    dispose: () => ro.disconnect(),
  };
}

/** Call `onResize` when `stage` changes size or the device pixel ratio changes (another screen, zoom). */
export function watchSize(stage: HTMLElement, onResize: () => void): () => void {
  const ro = new ResizeObserver(onResize);
  ro.observe(stage);
  let dprQuery: MediaQueryList | null = null;
  const watchDpr = (): void => {
    dprQuery = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    dprQuery.addEventListener("change", onDprChange, { once: true });
  };
  const onDprChange = (): void => {
    onResize();
    watchDpr();
  };
  watchDpr();
  return () => {
    ro.disconnect();
    dprQuery?.removeEventListener("change", onDprChange);
  };
}

/**
 * Mark `root` with its host's theme (ui/theme.ts: which host, light or dark; style/theme.css picks the
 * colours) now and whenever it may have changed, then call `onTheme`. Hosts change attributes on
 * body or html: JupyterLab its theme attributes (and it swaps its theme stylesheet: re-read a
 * frame later too), VS Code its classes, theme kind and the inline variables on html, Colab its
 * `theme` attribute, marimo its class and `data-theme`; and the system's colour scheme.
 */
export function watchTheme(root: HTMLElement, onTheme: () => void): () => void {
  const update = (): void => {
    markHostTheme(root);
    onTheme();
  };
  markHostTheme(root);
  const mo = new MutationObserver(() => {
    update();
    requestAnimationFrame(update);
  });
  const attributeFilter = [
    "class",
    "style",
    "theme",
    "data-theme",
    "data-mode",
    "data-jp-theme-name",
    "data-jp-theme-light",
    "data-vscode-theme-kind",
  ];
  for (const target of [document.documentElement, document.body]) mo.observe(target, { attributes: true, attributeFilter });
  const offDark = listen(window.matchMedia("(prefers-color-scheme: dark)"), "change", update);
  return () => {
    mo.disconnect();
    offDark();
  };
}
