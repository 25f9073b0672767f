package io.diffusionbatch.web;

/**
 * A request the dashboard refuses, with its HTTP status (400 bad input, 404 not found, 405 wrong
 * method) and a message for the user. Immutable.
 */
public final class HttpError extends RuntimeException {

    private final int status;

    /**
     * @param status  the HTTP status code
     * @param message shown to the user (escaped when rendered); never null
     */
    public HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError notFound(String message) {
        return new HttpError(404, message);
    }
}
