package io.diffusionbatch.platform;

/**
 * A service the platform needs is unusable at start (PostgreSQL, Kafka, the output root), or no
 * server is there to take a request: thrown by the start-up checks instead of letting a bean time
 * out later. Its message is one line naming the service, its address and the cause
 * ({@code cannot reach Kafka at broker:9092: Timed out waiting for a node assignment}); the CLI
 * prints it as it is and exits with {@link Service#exitCode()}. Immutable.
 */
public final class DependencyFailure extends RuntimeException {

    /** What is unusable, with the CLI's exit code for it. */
    public enum Service {
        /** PostgreSQL: unreachable, refuses the login, or the database is missing. */
        DATABASE(10),
        /** Kafka: bootstrap unreachable, authentication refused, topics cannot be checked or created. */
        KAFKA(11),
        /** The output root does not exist and cannot be made, or is not writable. */
        OUTPUT_ROOT(12),
        /** No live server uses the ledger (no recent heartbeat): a request sent now would wait unread. */
        SERVER(13);

        private final int exitCode;

        Service(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The CLI's exit code for this service's failure. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Service service;

    /**
     * @param service what is unusable; never null
     * @param message one line: what could not be done, where, and why; never null
     * @param cause   the underlying failure, or null
     */
    public DependencyFailure(Service service, String message, Throwable cause) {
        super(message, cause);
        this.service = service;
    }

    /** What is unusable; never null. */
    public Service service() {
        return service;
    }

    /** The innermost message of {@code t}'s causes (the one that names the actual problem); never null. */
    public static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return (m == null || m.isBlank() ? root.getClass().getSimpleName() : m).replaceAll("\\s+", " ").trim();
    }
}
