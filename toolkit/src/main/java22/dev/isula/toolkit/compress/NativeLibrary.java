package dev.isula.toolkit.compress;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * A shared library opened through the FFM API for one of the native codecs, with downcall handles
 * looked up by symbol name. Every failure is an {@link IllegalStateException} whose message says
 * what is missing, which {@link Java22Codec} reports as the reason the codec is not used.
 */
final class NativeLibrary {
  private final String name;
  private final SymbolLookup lookup;

  private NativeLibrary(String name, SymbolLookup lookup) {
    this.name = name;
    this.lookup = lookup;
  }

  /**
   * @param name the library's file name ({@code libisal.so.2})
   * @param debianPackage the package that installs it, for the message when it is missing
   */
  static NativeLibrary open(String name, String debianPackage) {
    if (!NativeLibrary.class.getModule().isNativeAccessEnabled()) {
      throw new IllegalStateException("native access is not enabled (--enable-native-access)");
    }
    try {
      return new NativeLibrary(name, SymbolLookup.libraryLookup(name, Arena.global()));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          name + " not found (Debian: apt-get install " + debianPackage + ")");
    }
  }

  /** A downcall handle for {@code symbol}; fails when the library has no such symbol. */
  MethodHandle downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
    return Linker.nativeLinker()
        .downcallHandle(
            lookup
                .find(symbol)
                .orElseThrow(() -> new IllegalStateException(name + " has no " + symbol)),
            descriptor,
            options);
  }
}
