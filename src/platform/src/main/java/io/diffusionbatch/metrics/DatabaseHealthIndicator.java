package io.diffusionbatch.metrics;

import io.diffusionbatch.ledger.DatabaseWatch;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health {@code db}, in place of Spring Boot's (which runs a query through the pool on every probe
 * and logs a stack trace each time the database is away): what the {@link DatabaseWatch} saw at
 * its last round trip, at most half a second ago. DOWN names since when and why. Answers at once;
 * thread-safe.
 */
public class DatabaseHealthIndicator implements HealthIndicator {

    private final DatabaseWatch watch;

    public DatabaseHealthIndicator(DatabaseWatch watch) {
        this.watch = watch;
    }

    @Override
    public Health health() {
        if (watch.available()) {
            return Health.up().withDetail("database", "answers").build();
        }
        Health.Builder down = Health.down().withDetail("reason", watch.reason());
        watch.downSince().ifPresent(t -> down.withDetail("since", t.toString()));
        return down.build();
    }
}
