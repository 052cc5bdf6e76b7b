package dev.isula.toolkit.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code isula inspect}: an image's config and manifest as JSON. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description =
        "Print images' id, names, config and manifest as JSON (from the store, or any reference).")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin GlobalOptions global;

  @Parameters(arity = "1..*", paramLabel = "IMAGE")
  List<String> images;

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      description = "For multi-platform sources (default: ${DEFAULT-VALUE}).")
  String platform = Platform.host().toString();

  @Override
  public Integer call() throws Exception {
    FormatRegistry registry = FormatRegistry.load();
    ArrayNode all = JsonNodeFactory.instance.arrayNode();
    for (String ref : images) {
      ReadOptions read =
          ReadOptions.builder()
              .platform(Platform.parse(platform))
              .log(Progress.to(spec.commandLine().getErr(), true))
              .build();
      try (ImageSource s = registry.open(ref, read)) {
        Image image = s.image();
        ObjectNode o = all.addObject();
        o.put("Id", image.configDigest().toString());
        ArrayNode names = o.putArray("Names");
        image.names().forEach(names::add);
        if (image.manifestDigest() != null) {
          o.put("Digest", image.manifestDigest().toString());
        }
        o.put("Source", image.source());
        ArrayNode layers = o.putArray("Layers");
        for (Layer l : image.layers()) {
          ObjectNode lo = layers.addObject();
          lo.put("DiffID", l.diffId().toString());
          if (l.digest() != null) {
            lo.put("Digest", l.digest().toString());
          }
          lo.put("Size", l.size());
        }
        o.set("Config", image.config());
        if (image.manifestBytes() != null) {
          o.set("Manifest", Json.parse(image.manifestBytes(), "manifest"));
        }
      }
    }
    spec.commandLine().getOut().print(Json.prettySorted(all));
    spec.commandLine().getOut().flush();
    return IsulaCli.OK;
  }
}
