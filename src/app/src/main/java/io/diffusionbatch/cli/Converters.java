package io.diffusionbatch.cli;

import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Number converters for every option, with messages that name the rule and the value given
 * ({@code must be an integer, was 'ten'}); {@link ErrorReporter} puts the option's name in front.
 * Stateless.
 */
final class Converters {

    static final ITypeConverter<Integer> INTEGER = v -> {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("must be an integer, was '" + v + "'");
        }
    };

    static final ITypeConverter<Long> LONG = v -> {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("must be an integer, was '" + v + "'");
        }
    };

    /** Finite doubles only: NaN and infinities are refused like any other non-number. */
    static final ITypeConverter<Double> FINITE = v -> {
        try {
            double d = Double.parseDouble(v.trim());
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new TypeConversionException("must be a finite number, was '" + v + "'");
    };

    private Converters() {
    }

    /** Registers the converters on a command and every subcommand it has now. */
    static void register(CommandLine cli) {
        cli.registerConverter(Integer.class, INTEGER);
        cli.registerConverter(int.class, INTEGER);
        cli.registerConverter(Long.class, LONG);
        cli.registerConverter(long.class, LONG);
        cli.registerConverter(Double.class, FINITE);
        cli.registerConverter(double.class, FINITE);
    }
}
