package io.diffusionbatch.startup;

import io.diffusionbatch.platform.DependencyFailure;
import org.springframework.boot.SpringBootExceptionReporter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Keeps Spring Boot from logging a failed start whose cause is a {@link DependencyFailure} (with its
 * stack trace): that failure's message is the one line the CLI prints. Other failures go on to
 * Boot's own reporters. Listed in {@code META-INF/spring.factories}; stateless.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
public final class StartupFailureReporter implements SpringBootExceptionReporter {

    @Override
    public boolean reportException(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof DependencyFailure) {
                return true;
            }
        }
        return false;
    }
}
