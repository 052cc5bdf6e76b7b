package dev.isula.golden.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the one {@link SyntheticImage} of the test run. It lives in the root context's store, so
 * every peer test class shares it, and JUnit closes it (removing its scratch directory) when the
 * run ends. Test classes check the required tools in {@code @BeforeAll} first: a missing tool must
 * skip (or, in CI, fail) the class, not surface as a parameter resolution error.
 */
final class SyntheticImageExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(SyntheticImageExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
    return p.getParameter().getType() == SyntheticImage.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
    return ctx.getRoot()
        .getStore(NS)
        .getOrComputeIfAbsent(
            SyntheticImage.class,
            k -> {
              try {
                return SyntheticImage.build();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            SyntheticImage.class);
  }
}
