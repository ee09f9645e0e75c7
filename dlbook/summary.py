"""The Keras-like table that ``Sequential.summary()`` prints: layers, output shapes, parameters."""

__all__ = ["summary_lines"]


def summary_lines(model):
    """The lines of ``model.summary()``; raises ValueError if the model is not built.

    One row per layer, ``name (Type)``, its output shape with ``None`` for the batch and its
    number of parameters, between Keras's rules of ``_`` and ``=``, then the totals. The
    columns are at least 29, 26 and 10 characters wide (wider for long names or shapes), and
    trailing blanks are stripped, so the table is the same on every machine.

    Examples
    --------
    >>> from dlbook.layers import Dense
    >>> from dlbook.model import Sequential
    >>> print("\\n".join(summary_lines(Sequential([Dense(2, input_shape=(3,))]))))
    Model: "sequential"
    _________________________________________________________________
    Layer (type)                 Output Shape              Param #
    =================================================================
    dense (Dense)                (None, 2)                 8
    =================================================================
    Total params: 8
    Trainable params: 8
    Non-trainable params: 0
    _________________________________________________________________
    """
    if not model.built:
        raise ValueError(
            "summary: the model is not built yet; give the first layer input_shape=(C, H, W), "
            "call model.build((C, H, W)), or fit/predict first"
        )
    rows = [
        (f"{layer.name} ({type(layer).__name__})", str((None, *layer.output_shape)),
         str(layer.count_params()))
        for layer in model.layers
    ]
    widths = [
        max(29, max(len(row[0]) for row in rows) + 1),
        max(26, max(len(row[1]) for row in rows) + 1),
        10,
    ]
    total = sum(widths)

    def line(cells):
        return "".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

    params = model.count_params()
    lines = [f'Model: "{model.name}"', "_" * total,
             line(("Layer (type)", "Output Shape", "Param #")), "=" * total]
    lines += [line(row) for row in rows]
    lines += ["=" * total, f"Total params: {params:,}", f"Trainable params: {params:,}",
              "Non-trainable params: 0", "_" * total]
    return lines
