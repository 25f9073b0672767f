package io.diffusionbatch.engine.model;

import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The session options every network of the engine is opened with. */
class ExecutionDeviceTest {

    @Test
    void intraOpThreadsDoNotSpin() {
        try (OrtSession.SessionOptions o = new ExecutionDevice("cpu", 0, 2).sessionOptions()) {
            assertThat(o.getConfigEntries()).containsEntry("session.intra_op.allow_spinning", "0");
        }
    }
}
