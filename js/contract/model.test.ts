import { describe, expect, it } from "vitest";
import { FakeModel } from "../testing";
import { bind, decodeAt, modelIdentity, numberAt, save, stringAt, type WidgetModel } from "./model";

describe("bind", () => {
  it("runs the handler once now, again on every change, and never after unbinding", () => {
    const model = new FakeModel({ point_size: 3 });
    const seen: unknown[] = [];
    const off = bind(model, "point_size", () => seen.push(model.get("point_size")));
    expect(seen).toEqual([3]);
    model.set("point_size", 5);
    expect(seen).toEqual([3, 5]);
    off();
    expect(model.listenerCount("change:point_size")).toBe(0);
    model.set("point_size", 7);
    expect(seen).toEqual([3, 5]);
  });
});

describe("model helpers", () => {
  it("saves, reads typed values with fallbacks and decodes safely", () => {
    const model = new FakeModel({ height: Number.NaN, metric: 3, focus: 4 });
    save(model, "color_by", "kind");
    expect(model.get("color_by")).toBe("kind");
    expect(model.saves).toBe(1);
    expect(numberAt(model, "height", 520)).toBe(520);
    expect(numberAt(model, "focus", -1)).toBe(4);
    expect(stringAt(model, "metric", "cosine")).toBe("cosine");
    const errors: unknown[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      expect(
        decodeAt(model, "_labels", () => {
          throw new Error("bad");
        }),
      ).toBeNull();
    } finally {
      console.error = error;
    }
    expect(errors.length).toBe(1);
  });

  it("identifies the model behind two proxies by its layout, a plain model by itself", () => {
    const layout = {};
    const a = new FakeModel({ layout });
    const proxy = { ...a, get: (k: string) => a.get(k) } as unknown as WidgetModel;
    expect(modelIdentity(proxy)).toBe(modelIdentity(a));
    const plain = new FakeModel();
    expect(modelIdentity(plain)).toBe(plain);
  });
});
