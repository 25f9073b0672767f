package io.diffusionbatch.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into the command's own options and Spring settings
 * ({@code --diffusion.*}, {@code --spring.*}, {@code --logging.*}), and maps
 * {@code --data-dir D} to {@code --diffusion.data-dir=D}. Immutable.
 *
 * @param own    the command's arguments
 * @param spring arguments for the Spring context
 */
record SpringArgs(String[] own, String[] spring) {

    static SpringArgs split(String[] args) {
        List<String> own = new ArrayList<>();
        List<String> spring = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.startsWith("--diffusion.") || a.startsWith("--spring.") || a.startsWith("--logging.")) {
                spring.add(a);
            } else if (a.equals("--data-dir")) {
                if (i + 1 >= args.length) {
                    throw new UsageException("--data-dir: needs a value");
                }
                spring.add("--diffusion.data-dir=" + args[++i]);
            } else if (a.startsWith("--data-dir=")) {
                spring.add("--diffusion.data-dir=" + a.substring("--data-dir=".length()));
            } else {
                own.add(a);
            }
        }
        return new SpringArgs(own.toArray(String[]::new), spring.toArray(String[]::new));
    }
}
