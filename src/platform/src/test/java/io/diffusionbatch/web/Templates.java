package io.diffusionbatch.web;

import com.samskivert.mustache.Escapers;
import com.samskivert.mustache.Mustache;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The dashboard's templates rendered as Spring Boot renders them (JMustache with the default
 * compiler, escaping on, templates from {@code classpath:/templates/}), for page tests without a
 * server; and the escaping they apply.
 */
final class Templates {

    private static final Mustache.Compiler COMPILER = Mustache.compiler().withLoader(Templates::reader);

    private Templates() {
    }

    /** Renders {@code templates/VIEW.mustache} with {@code page} as the model attribute {@code p}, as the controllers do. */
    static String render(String view, Object page) {
        return render(view, Map.of("p", page));
    }

    /** Renders {@code templates/VIEW.mustache} with these model attributes. */
    static String render(String view, Map<String, Object> model) {
        try (Reader r = reader(view)) {
            return COMPILER.compile(r).execute(model);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The HTML escaping of the templates ({@code {{value}}}). */
    static String esc(Object value) {
        return Escapers.HTML.escape(String.valueOf(value));
    }

    private static Reader reader(String name) {
        InputStream in = Templates.class.getResourceAsStream("/templates/" + name + ".mustache");
        if (in == null) {
            throw new IllegalArgumentException("no template " + name);
        }
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }
}
