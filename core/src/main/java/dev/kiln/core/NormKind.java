package dev.kiln.core;

/** Vector norms over all elements of a tensor: L1 (sum of |x|), L2 (Euclidean), LINF (max |x|). */
public enum NormKind {
    L1, L2, LINF
}
