package io.diffusionbatch.cluster;

import org.springframework.batch.integration.partition.StepExecutionRequest;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The partition request's form on Kafka: Spring Batch's {@link StepExecutionRequest} as a small
 * JSON object, {@code {"stepName":"generatePartition","stepExecutionId":42}}, keyed by the step
 * execution id (the topic's partitions spread them over the workers). Java serialization is never
 * used on the wire. Stateless and thread-safe.
 */
public final class PartitionRequests {

    private static final Pattern FORM = Pattern.compile(
            "\\{\\s*\"stepName\"\\s*:\\s*\"([A-Za-z0-9_.:-]{1,100})\"\\s*,\\s*\"stepExecutionId\"\\s*:\\s*(\\d{1,18})\\s*}");

    private PartitionRequests() {
    }

    /** The record value of a request. */
    public static byte[] encode(StepExecutionRequest r) {
        return ("{\"stepName\":\"" + r.getStepName() + "\",\"stepExecutionId\":" + r.getStepExecutionId() + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The request a record value holds.
     *
     * @throws IllegalArgumentException when the value is not a request (saying what was expected)
     */
    public static StepExecutionRequest decode(byte[] value) {
        String s = value == null ? "" : new String(value, StandardCharsets.UTF_8).strip();
        Matcher m = FORM.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException("partition request: expected {\"stepName\":NAME,\"stepExecutionId\":N}, was '"
                    + (s.length() > 200 ? s.substring(0, 200) + "..." : s) + "'");
        }
        return new StepExecutionRequest(m.group(1), Long.parseLong(m.group(2)));
    }
}
