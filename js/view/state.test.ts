import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Neighbors } from "../contract/wireColumns";
import { FLAG_FOCUS, FLAG_NEIGHBOR, FLAG_SELECTED } from "../scene/flags";
import { ACK_WAIT_MS, FlagsSchedule, SOCKET_WRITE_BYTES, selectionRedrawDelay, ViewState } from "./state";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function neighbors(index: number, rows: number[], query: string | null = null): Neighbors {
  return { index, query, indices: Uint32Array.from(rows), distances: new Float32Array(rows.length), labels: rows.map(String), column: "" };
}

describe("ViewState", () => {
  it("shows the focus's neighbours, or a semantic query's until it is dismissed", () => {
    const s = new ViewState();
    s.setNeighbors(neighbors(-1, [1, 2], "cats"));
    expect(s.queryActive()).toBe(true);
    expect(Array.from(s.activeNeighbors())).toEqual([1, 2]);
    s.queryDismissed = true;
    expect(s.queryActive()).toBe(false);
    expect(s.activeNeighbors().length).toBe(0);
    s.setNeighbors(neighbors(-1, [3], "dogs")); // a new query brings the inspector back
    expect(s.queryActive()).toBe(true);
    s.setFocus(5);
    expect(s.queryActive()).toBe(false);
    expect(s.activeNeighbors().length).toBe(0); // the neighbours are not the focus's
    s.setNeighbors(neighbors(5, [4, 6]));
    expect(Array.from(s.activeNeighbors())).toEqual([4, 6]);
  });

  it("composes flags for the points drawn and counts the selected ones among them", () => {
    const s = new ViewState();
    s.selection = Uint32Array.of(0, 2, 9);
    s.setFocus(1);
    s.setNeighbors(neighbors(1, [3]));
    const { flags, count, emphasis } = s.composeFlags(4, null);
    expect(Array.from(flags)).toEqual([FLAG_SELECTED, FLAG_FOCUS, FLAG_SELECTED, FLAG_NEIGHBOR]);
    expect(count).toBe(2); // row 9 has not arrived
    expect(s.selectedCount).toBe(2);
    expect(emphasis).toBe(true);
    expect(s.composeFlags(4, null).flags).toBe(flags); // reused
  });
});

describe("the flags schedule and the kernel's receipt", () => {
  it("holds a large selection's redraw until the receipt, at most ACK_WAIT_MS", () => {
    expect(selectionRedrawDelay(SOCKET_WRITE_BYTES + 4, true)).toBe(ACK_WAIT_MS);
    expect(selectionRedrawDelay(SOCKET_WRITE_BYTES + 4, false)).toBe(0); // a saved page: no receipt comes
    expect(selectionRedrawDelay(400, true)).toBe(0);
    let runs = 0;
    let now = 0;
    const schedule = new FlagsSchedule(
      () => runs++,
      () => now,
    );
    schedule.schedule(ACK_WAIT_MS);
    vi.advanceTimersByTime(10);
    now = 10;
    expect(runs).toBe(0);
    schedule.ack();
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    schedule.ack(); // nothing waiting: no extra rebuild
    vi.advanceTimersByTime(ACK_WAIT_MS);
    expect(runs).toBe(1);
    schedule.schedule(ACK_WAIT_MS); // no receipt: the redraw comes anyway
    vi.advanceTimersByTime(ACK_WAIT_MS);
    expect(runs).toBe(2);
  });

  it("runs one rebuild for several schedules, the earliest due", () => {
    let runs = 0;
    const schedule = new FlagsSchedule(
      () => runs++,
      () => 0,
    );
    schedule.schedule(0);
    schedule.schedule(ACK_WAIT_MS); // later than the waiting one: covered by it
    expect(schedule.pending).toBe(true);
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    expect(schedule.pending).toBe(false);
    vi.advanceTimersByTime(ACK_WAIT_MS);
    expect(runs).toBe(1);
    schedule.schedule(ACK_WAIT_MS);
    schedule.cancel();
    vi.advanceTimersByTime(ACK_WAIT_MS);
    expect(runs).toBe(1);
  });
});
