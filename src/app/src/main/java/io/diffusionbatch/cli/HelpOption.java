package io.diffusionbatch.cli;

import picocli.CommandLine.Option;

/** The {@code -h, --help} option of every subcommand (a picocli mixin). */
final class HelpOption {

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 9999, description = "Show this help and exit.")
    private boolean help;
}
