"""Readers and writers of other tools' files: TSV, TensorBoard projector logdirs, HTML pages."""
