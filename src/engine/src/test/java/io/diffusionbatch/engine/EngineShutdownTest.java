package io.diffusionbatch.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffusionbatch.engine.model.JvmShutdown;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime releases its native environment in a JVM shutdown hook; a session run after that
 * crashed the JVM (SIGSEGV in libonnxruntime, seen when a server replica was stopped while its
 * job ran). The engine refuses to run once the JVM exits instead.
 */
class EngineShutdownTest {

    @Test
    void notShuttingDownWhileTheJvmRuns() {
        assertFalse(JvmShutdown.inProgress());
        assertFalse(JvmShutdown.inProgress()); // the probe leaves no hook behind
    }

    @Test
    void aGenerationStartedWhileTheJvmExitsIsRefusedInsteadOfCrashing(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), ShutdownRaceMain.class.getName(),
                TestModels.dir("tiny-sd").toAbsolutePath().toString()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not end");
        String log = read(out);
        assertEquals(0, p.exitValue(), "child JVM exit code (134: it crashed in ONNX Runtime):\n" + log);
        assertTrue(log.contains("refused: ") && log.contains("JVM is shutting down"), log);
    }

    private static String read(Path f) throws IOException {
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }
}
