/**
 * Public exception types: every expected failure is a checked {@link
 * dev.isula.toolkit.api.IsulaException}.
 */
package dev.isula.toolkit.api;
