package io.diffusionbatch.web;

import io.diffusionbatch.ledger.ItemRef;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * Path and query values of the dashboard's URLs, checked: a bad one is a 400 whose message names
 * the value and the rule. Stateless and thread-safe.
 */
final class Params {

    private Params() {
    }

    /** A run id: a whole number >= 1. */
    static long runId(String text) {
        return number(text, "run id", 1);
    }

    /** {@code RUN/INDEX} from its two path segments. */
    static ItemRef itemRef(String run, String index) {
        return new ItemRef(runId(run), number(index, "item index", 0));
    }

    /** A 1-based page number; null (no {@code page} parameter) is page 1. */
    static int page(String text) {
        if (text == null) {
            return 1;
        }
        if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < 1) {
            throw badRequest("page: must be a whole number >= 1, was '" + text + "'");
        }
        return Integer.parseInt(text);
    }

    private static long number(String text, String name, long min) {
        if (!text.matches("[0-9]{1,18}") || Long.parseLong(text) < min) {
            throw badRequest(name + ": must be a whole number >= " + min + ", was '" + text + "'");
        }
        return Long.parseLong(text);
    }

    static ResponseStatusException badRequest(String message) {
        return new ResponseStatusException(HttpStatus.BAD_REQUEST, message);
    }

    static ResponseStatusException notFound(String message) {
        return new ResponseStatusException(HttpStatus.NOT_FOUND, message);
    }
}
