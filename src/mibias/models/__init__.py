"""Feature extractors and heads for the paper's experiments: the digit network
(:mod:`mibias.models.digits`, the layer its MI term reads in :mod:`mibias.models.z_layer`) and
the face network (:mod:`mibias.models.faces`)."""
