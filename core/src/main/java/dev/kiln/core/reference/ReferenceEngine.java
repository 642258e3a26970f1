package dev.kiln.core.reference;

/** PLACEHOLDER: replaced by the float64 reference engine. */
public final class ReferenceEngine {
}
