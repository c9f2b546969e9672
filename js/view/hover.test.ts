import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RowCache } from "../shared/rowCache";
import type { Tooltip } from "../ui/tooltip";
import { Hover } from "./hover";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function setUp(hasColumns: boolean) {
  const shown: (string | null)[] = [];
  const tooltip = {
    show: (index: number, rows: [string, string][] | null) => shown.push(`${index}:${rows === null ? "loading" : rows.length}`),
    hide: () => shown.push(null),
  } as unknown as Tooltip;
  const asked: number[] = [];
  const rows = new RowCache((i) => asked.push(i), 10, 60);
  const stage = { clientWidth: 100, clientHeight: 100 } as HTMLElement;
  return { hover: new Hover(tooltip, rows, stage, () => hasColumns), rows, shown, asked };
}

describe("Hover", () => {
  it("shows a loading tooltip, asks for the row and fills it in when it arrives", () => {
    const { hover, rows, shown, asked } = setUp(true);
    hover.set(3, 10, 10);
    expect(shown).toEqual(["3:loading"]);
    vi.advanceTimersByTime(60);
    expect(asked).toEqual([3]);
    rows.subscribe((i) => hover.rowArrived(i));
    rows.receive({ type: "row", index: 3, values: [["a", "x"]] });
    expect(shown).toEqual(["3:loading", "3:1"]);
    hover.set(-1, 0, 0);
    hover.clear();
    expect(shown.slice(2)).toEqual([null, null]);
  });

  it("asks for nothing without metadata columns", () => {
    const { hover, shown, asked } = setUp(false);
    hover.set(2, 0, 0);
    vi.advanceTimersByTime(60);
    expect(shown).toEqual(["2:0"]);
    expect(asked).toEqual([]);
  });
});
