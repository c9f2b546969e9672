/**
 * The overview in the renderer (above the overview threshold no points are sent): what it shows
 * (the grid and the tiles' points, kept so a restored context uploads them again), the
 * quadtree's square domain that the view fits while there are no points, the draw with the
 * points' colours, and the pick of the nearest tile point (its row).
 */
import type { OverviewGrid, Tile } from "../contract/wireOverview";
import type { Camera, Viewport } from "./camera";
import { nearestPoint, OverviewLayer, type OverviewStyle } from "./overview";

/** What the overview shows: its grid (null: hidden) and the tiles' points. */
export interface OverviewContent {
  grid: OverviewGrid | null;
  tiles: readonly Tile[];
}

export class OverviewPass {
  /** The quadtree's domain [x0, y0, side] the view fits while there are no points (null: none). */
  domain: [number, number, number] | null = null;
  private layer: OverviewLayer | null = null;
  private content: OverviewContent | null = null;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** A context was created or restored: a new layer, showing what was shown. */
  restore(): void {
    this.layer = new OverviewLayer(this.gl);
    if (this.content) this.layer.set(this.content.grid, this.content.tiles);
  }

  /** Show `content` (null: none) over `domain`; returns whether the domain changed (the view then fits it). */
  set(content: OverviewContent | null, domain: [number, number, number] | null): boolean {
    this.content = content;
    this.layer?.set(content?.grid ?? null, content?.tiles ?? []);
    const d = this.domain;
    const changed = domain !== null && (!d || d[0] !== domain[0] || d[1] !== domain[1] || d[2] !== domain[2]);
    this.domain = domain;
    return changed;
  }

  /** The tile points held on screen now. */
  get pointCount(): number {
    return this.layer?.points.count ?? 0;
  }

  /** Whether there is anything to draw. */
  get active(): boolean {
    return this.layer?.active ?? false;
  }

  /** Draw the grid and the tiles' points; returns what OverviewLayer.draw counts. */
  draw(viewProj: Float32Array, style: OverviewStyle): number {
    return this.layer?.draw(viewProj, style) ?? 0;
  }

  /** The row of the tile point drawn nearest (x, y) CSS px within `radius`, or -1. */
  pick(cam: Camera, viewport: Viewport, x: number, y: number, radius: number, sizePx: number): number {
    const pts = this.layer?.points;
    if (!pts) return -1;
    const i = nearestPoint(pts, cam, viewport, x, y, radius, sizePx);
    return i >= 0 ? pts.rows[i] : -1;
  }

  dispose(): void {
    this.layer?.dispose();
    this.layer = null;
  }
}
