package dev.kiln.core.crosscheck;

/** PLACEHOLDER: replaced by the cross-check decorator. */
public final class CrossCheckEngine {
}
