package io.diffusionbatch.job;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault injection (issue 14): the output volume becomes full, then read-only, in the middle of a run. Each time the
 * run fails with the system's reason in its message, no partial file is at a final name (every file in the run's
 * folder is an output or sidecar whose output row matches it), and {@code retry} resumes it once the volume is
 * writable again; it ends with every item made once. The volume is a small tmpfs mounted under the output root where
 * this process may mount (root with CAP_SYS_ADMIN); otherwise, where permissions bind the process (not root), the
 * folder is made read-only with its mode; where neither works the test is skipped. Real broker and PostgreSQL.
 */
class OutputVolumeFaultTest {

    private static final long ITEMS = 36;

    private final TestServer server = TestServer.get();

    /** A place under the output root whose writes can be made to fail and work again. */
    private interface Volume extends AutoCloseable {
        /** Makes the next writes fail; returns what the run's message must say. */
        String fill() throws IOException;

        String readOnly() throws IOException;

        void restore() throws IOException;

        @Override
        void close() throws IOException;
    }

    private static int sh(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A tmpfs of its own: filled with a file up to its size, or remounted read-only. */
    private static Volume tmpfs(Path dir) {
        if (sh("mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", dir.toString()) != 0) {
            return null;
        }
        Path filler = dir.resolve("filler");
        return new Volume() {
            @Override
            public String fill() throws IOException {
                byte[] block = new byte[1 << 16];
                try (OutputStream out = Files.newOutputStream(filler)) {
                    while (true) {
                        out.write(block);
                    }
                } catch (IOException full) {
                    assertThat(full.getMessage()).contains("No space left on device");
                }
                return "No space left on device";
            }

            @Override
            public String readOnly() {
                // refused (busy) while a file on it is open for writing: try again between two writes
                for (int i = 0; i < 200 && sh("mount", "-o", "remount,ro", dir.toString()) != 0; i++) {
                    TestServer.sleep(10);
                }
                assertThat(sh("touch", dir.resolve("probe").toString())).as("read-only now").isNotZero();
                return "Read-only file system";
            }

            @Override
            public void restore() throws IOException {
                if (sh("mount", "-o", "remount,rw", dir.toString()) != 0) {
                    throw new IOException("cannot remount " + dir + " read-write");
                }
                Files.deleteIfExists(filler);
            }

            @Override
            public void close() {
                sh("umount", "-l", dir.toString());
            }
        };
    }

    /** Not root: the folders' modes bind this process, so a read-only mode stands for a volume that refuses writes. */
    private static Volume readOnlyMode(Path dir) {
        if ("root".equals(System.getProperty("user.name"))
                || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return null;
        }
        return new Volume() {
            @Override
            public String fill() throws IOException {
                return readOnly();
            }

            @Override
            public String readOnly() throws IOException {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path d : s.filter(Files::isDirectory).toList()) {
                        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("r-xr-xr-x"));
                    }
                }
                return "Permission denied";
            }

            @Override
            public void restore() throws IOException {
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path d : s.filter(Files::isDirectory).toList()) {
                        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                    }
                }
            }

            @Override
            public void close() throws IOException {
                restore();
            }
        };
    }

    private long done(long run) {
        return server.jdbc().sql("SELECT count(*) FROM items WHERE request_id = ? AND status = 'done'").param(run)
                .query(Long.class).single();
    }

    /** As {@link #noPartialOrUnrecordedFile(RequestRow, boolean)}, with staging cleared too. */
    private void noPartialOrUnrecordedFile(RequestRow run) throws IOException {
        noPartialOrUnrecordedFile(run, false);
    }

    /**
     * Every file at a final name in the run's folder is a recorded output, or its sidecar, with the recorded bytes,
     * and no temporary file is in place. {@code readOnlyVolume}: a volume that turned read-only may keep a
     * half-written temporary file in the partition's staging folder, and complete files at final names that no row
     * records (the volume turned read-only between two moves of one micro-batch, so the batch was never recorded);
     * nothing can remove either until the volume is writable again (the partition's next attempt clears staging,
     * and the items are made again under the same names). Never a partial file at a final name.
     */
    private void noPartialOrUnrecordedFile(RequestRow run, boolean readOnlyVolume) throws IOException {
        Map<String, Map<String, Object>> outputs = new HashMap<>();
        for (Map<String, Object> o : server.jdbc().sql("SELECT path, sha256, bytes FROM outputs WHERE request_id = ?")
                .param(run.id()).query().listOfRows()) {
            outputs.put((String) o.get("path"), o);
        }
        Path dir = server.runDir(run);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                Map<String, Object> o = outputs.get(name.endsWith(".json") ? name.replace(".json", ".png") : name);
                if (o == null && readOnlyVolume) {
                    assertComplete(f);
                    continue;
                }
                assertThat(o).as(name + " has an output row").isNotNull();
                if (!name.endsWith(".json")) {
                    assertThat(Files.size(f)).as(name).isEqualTo(o.get("bytes"));
                    assertThat(ItemWriter.sha256(f)).as(name).isEqualTo(o.get("sha256"));
                }
            }
        }
        assertThat(outputs.keySet()).allSatisfy(p -> assertThat(dir.resolve(p)).isRegularFile());
        try (Stream<Path> all = Files.walk(dir)) {
            assertThat(all.filter(p -> !readOnlyVolume || !dir.relativize(p).startsWith(OutputStore.STAGING))
                    .map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    /**
     * A file at a final name that no row records, left by a volume that turned read-only after it was
     * moved into place but before its micro-batch was recorded: it must be whole (a sidecar that
     * parses as a JSON object; a PNG that ends with its IEND chunk and decodes), never partial.
     */
    private static void assertComplete(Path f) throws IOException {
        String name = f.getFileName().toString();
        if (name.endsWith(".json")) {
            assertThat(JsonMapper.builder().build().readTree(Files.readString(f)).isObject()).as(name + " is complete")
                    .isTrue();
            return;
        }
        assertThat(name).endsWith(".png");
        byte[] png = Files.readAllBytes(f);
        byte[] iend = {0, 0, 0, 0, 'I', 'E', 'N', 'D', (byte) 0xAE, 0x42, 0x60, (byte) 0x82};
        assertThat(Arrays.copyOfRange(png, Math.max(0, png.length - iend.length), png.length))
                .as(name + " ends with its IEND chunk").isEqualTo(iend);
        assertThat(ImageIO.read(f.toFile())).as(name + " decodes").isNotNull();
    }

    private long stagedFiles(RequestRow run) throws IOException {
        Path staging = server.runDir(run).resolve(OutputStore.STAGING);
        if (!Files.exists(staging)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(staging)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    /** Waits until the run has made at least {@code more} items more than {@code from}, or fails. */
    private void awaitProgress(long run, long from, long more) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (done(run) < from + more) {
            assertThat(System.nanoTime()).as("run %d did not make %d more items", run, more).isLessThan(deadline);
            TestServer.sleep(50);
        }
    }

    @Test
    void aFullThenReadOnlyVolumeFailsTheRunWithItsReasonAndRetryFinishesIt() throws Exception {
        String id = TestServer.uniqueId("volume");
        Path mount = Files.createDirectories(server.outputRoot().resolve("volumes").resolve(id));
        Volume volume = tmpfs(mount);
        if (volume == null) {
            volume = readOnlyMode(mount);
        }
        Assumptions.assumeTrue(volume != null, "cannot make writes fail here: mounting a tmpfs is not permitted and"
                + " the process is root (modes do not bind it)");
        try (Volume v = volume) {
            server.send(id, GenerationJobTest.request(id, "tiny", 12, 3, 40, 0, "volumes/" + id + "/run")
                    .getBytes(StandardCharsets.UTF_8));
            RequestRow run = server.awaitRun(id, r -> r.status() == RunStatus.RUNNING && done(r.id()) >= 4,
                    Duration.ofSeconds(120));
            RequestStore requests = server.bean(RequestStore.class);

            // 1. full in the middle of the run
            String full = v.fill();
            RequestRow failed = server.awaitFinished(id, Duration.ofSeconds(120));
            assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
            assertThat(failed.message()).contains(full).contains(failed.outputDir());
            long madeBefore = done(run.id());
            assertThat(madeBefore).as("the run stopped with items left").isLessThan(ITEMS);
            noPartialOrUnrecordedFile(failed);
            assertThat(stagedFiles(failed)).as("staging cleared after the failed batch").isZero();

            // 2. space returns: retry resumes; read-only in the middle of that
            v.restore();
            assertThat(requests.retry(run.id())).isTrue();
            awaitProgress(run.id(), madeBefore, 4);
            String readOnly = v.readOnly();
            RequestRow failedAgain = server.awaitRun(id,
                    r -> r.isFinished() && r.finishedAt().isAfter(failed.finishedAt()), Duration.ofSeconds(120));
            long madeSecond = done(run.id());
            if (madeSecond < ITEMS) { // the run may have ended before the volume turned read-only
                assertThat(failedAgain.status()).isEqualTo(RunStatus.FAILED);
                assertThat(failedAgain.message()).contains(readOnly);
            }
            noPartialOrUnrecordedFile(failedAgain, true);

            // 3. writable again: retry finishes it, every item once
            v.restore();
            if (failedAgain.status() == RunStatus.FAILED) {
                assertThat(requests.retry(run.id())).isTrue();
            }
            RequestRow end = server.awaitRun(id, r -> r.status() == RunStatus.COMPLETED, Duration.ofSeconds(180));
            assertThat(done(end.id())).isEqualTo(ITEMS);
            assertThat(server.jdbc().sql("SELECT count(*) FROM outputs WHERE request_id = ?").param(end.id())
                    .query(Long.class).single()).isEqualTo(ITEMS);
            noPartialOrUnrecordedFile(end);
            try (Stream<Path> pngs = Files.list(server.runDir(end))) {
                assertThat(pngs.filter(f -> f.toString().endsWith(".png")).count()).isEqualTo(ITEMS);
            }
            assertThat(stagedFiles(end)).isZero();
            assertThat(server.bean(EventStore.class).of(end.id())).extracting(EventStore.Event::type)
                    .containsSubsequence("failed", "resumed", "completed");
        }
    }
}
