"""Weights of Keras ``Embedding`` layers."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def _is_embedding_layer(obj: Any) -> bool:
    return type(obj).__name__ == "Embedding" and hasattr(obj, "get_weights")


def embedding_weights(
    model_or_layer: Any, layer_name: str | None = None
) -> npt.NDArray[np.float32]:
    """The (input_dim, output_dim) matrix of an Embedding layer, or of a model's layer.

    With a model and no ``layer_name``, the model must have exactly one Embedding layer.
    """
    layer = model_or_layer
    if not _is_embedding_layer(layer):
        layers = getattr(model_or_layer, "layers", None)
        if layers is None:
            raise TypeError(
                f"expected a Keras Embedding layer or a model, got {type(model_or_layer).__name__}"
            )
        if layer_name is not None:
            try:
                layer = model_or_layer.get_layer(layer_name)
            except ValueError:
                names = [lyr.name for lyr in layers]
                raise ValueError(
                    f"the model has no layer {layer_name!r}; layers are {names}"
                ) from None
        else:
            found = [lyr for lyr in layers if _is_embedding_layer(lyr)]
            if len(found) != 1:
                names = [lyr.name for lyr in found]
                raise ValueError(
                    f"the model has {len(found)} Embedding layers {names}; pass layer_name="
                )
            layer = found[0]
    weights = layer.get_weights()
    if not weights:
        raise ValueError(
            f"layer {getattr(layer, 'name', '?')!r} has no weights yet: build the model first "
            "(call it on data or model.build(input_shape))"
        )
    matrix = np.asarray(weights[0], dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"layer {layer.name!r} has weights of shape {matrix.shape}, not a matrix")
    return matrix
