/**
 * What a view's labels show (view/stage.ts draws them after each frame): the `_labels` texts,
 * the hovered, focused, neighbour and selected rows, the semantic query point while its
 * neighbours are shown (and it is in the dimensionality drawn), and the cluster names while
 * they are on.
 */
import type { Labels } from "../contract/wireColumns";
import type { Points } from "../contract/wirePoints";
import type { QueryPoint } from "../contract/wireValues";
import type { ClusterLevels } from "../ui/clusterLabels";
import type { LabelContent } from "./stage";
import type { ViewState } from "./state";

/** Where the label content comes from. */
export interface LabelSources {
  /** The selection, focus and neighbours, and `_labels` (view/emphasis.ts). */
  emphasis: { readonly state: ViewState; readonly labels: Labels | null };
  /** The hovered row (-1: none; view/hover.ts). */
  hover: { readonly index: number };
  /** The points drawn and the semantic query point (view/drawing.ts). */
  drawing: { readonly points: Points | null; readonly queryPoint: QueryPoint | null };
  /** Cluster levels to name (null: not shown; view/explain.ts). */
  explain: { readonly shownClusters: ClusterLevels | null };
}

/** The label content of `s`, read when the labels are drawn. */
export function labelContent({ emphasis, hover, drawing, explain }: LabelSources): () => LabelContent {
  return () => {
    const { state } = emphasis;
    const q = drawing.queryPoint;
    const query = state.queryActive() && q?.dims === drawing.points?.dims ? q : null;
    const { selection, focus } = state;
    return {
      labels: emphasis.labels,
      hover: hover.index,
      focus,
      neighbors: state.activeNeighbors(),
      selection,
      query,
      clusters: explain.shownClusters,
    };
  };
}
