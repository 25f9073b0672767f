package io.diffusionbatch.job;

import io.diffusionbatch.ledger.EventStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.ledger.RequestStore;
import io.diffusionbatch.ledger.RunStatus;
import io.diffusionbatch.media.ItemWriter;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes stay inside the output root when it changes after a request was accepted (issue 14, defect 2): a symbolic
 * link planted in place of a run's folder, or of its staging folder, fails the run with the link named in its
 * message, and nothing is written where the link points. Real broker, PostgreSQL and ONNX Runtime.
 */
class OutputConfinementTest {

    private final TestServer server = TestServer.get();

    @TempDir
    Path outside;

    private static long entriesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).count();
        }
    }

    private long count(String sql, long run) {
        return server.jdbc().sql(sql).param(run).query(Long.class).single();
    }

    private String small(String id) {
        return GenerationJobTest.request(id, "tiny", 2, 2, 2, 0, "confine/" + id);
    }

    @Test
    void linksPlantedAfterAcceptanceFailTheRunAndNothingIsWrittenThroughThem() throws Exception {
        // a long run in front keeps the two runs waiting while the links are planted
        String blocker = TestServer.uniqueId("confine-blocker");
        server.send(blocker, GenerationJobTest.request(blocker, "tiny", 40, 3, 200, 0, "confine/" + blocker)
                .getBytes(StandardCharsets.UTF_8));
        RequestRow b = server.awaitRun(blocker, r -> r.status() == RunStatus.RUNNING, Duration.ofSeconds(60));
        String viaRun = TestServer.uniqueId("confine-run");
        String viaStaging = TestServer.uniqueId("confine-staging");
        server.send(viaRun, small(viaRun).getBytes(StandardCharsets.UTF_8));
        server.send(viaStaging, small(viaStaging).getBytes(StandardCharsets.UTF_8));
        RequestRow a = server.awaitRun(viaRun, r -> r.status() == RunStatus.ACCEPTED, Duration.ofSeconds(60));
        RequestRow s = server.awaitRun(viaStaging, r -> r.status() == RunStatus.ACCEPTED, Duration.ofSeconds(60));

        Path runLinkTarget = Files.createDirectories(outside.resolve("run"));
        Path runDir = server.runDir(a);
        Files.createDirectories(runDir.getParent());
        Files.createSymbolicLink(runDir, runLinkTarget);
        Path stagingLinkTarget = Files.createDirectories(outside.resolve("staging"));
        Path staging = Files.createDirectories(server.runDir(s)).resolve(".staging");
        Files.createSymbolicLink(staging, stagingLinkTarget);
        server.bean(RunLifecycle.class).cancel(b.id());

        RequestRow endA = server.awaitFinished(viaRun, Duration.ofSeconds(120));
        RequestRow endS = server.awaitFinished(viaStaging, Duration.ofSeconds(120));
        assertThat(endA.status()).isEqualTo(RunStatus.FAILED);
        assertThat(endA.message()).contains(runDir + " is a symbolic link").contains(runLinkTarget.toString())
                .contains("never written or read through links");
        assertThat(endS.status()).isEqualTo(RunStatus.FAILED);
        assertThat(endS.message()).contains(staging + " is a symbolic link");
        assertThat(entriesUnder(outside)).as("nothing written outside the output root").isEqualTo(2);
        for (RequestRow r : List.of(endA, endS)) {
            assertThat(count("SELECT count(*) FROM outputs WHERE request_id = ?", r.id())).isZero();
            assertThat(count("SELECT count(*) FROM items WHERE request_id = ? AND status = 'pending'", r.id()))
                    .as("the items stay pending: a retry once the link is gone makes them").isEqualTo(4);
            assertThat(server.bean(EventStore.class).of(r.id())).extracting(EventStore.Event::type).contains("failed");
        }
        assertThat(Files.isSymbolicLink(runDir)).isTrue();
        assertThat(server.awaitFinished(blocker, Duration.ofSeconds(120)).status()).isEqualTo(RunStatus.CANCELLED);

        // once the link is gone, retry makes the run (the normal path)
        Files.delete(staging);
        assertThat(server.bean(RequestStore.class).retry(endS.id())).isTrue();
        RequestRow again = server.awaitRun(viaStaging, r -> r.isFinished() && r.finishedAt().isAfter(endS.finishedAt()),
                Duration.ofSeconds(120));
        assertThat(again.status()).as(String.valueOf(again.message())).isEqualTo(RunStatus.COMPLETED);
        assertThat(count("SELECT count(*) FROM outputs WHERE request_id = ?", again.id())).isEqualTo(4);
    }

    @Test
    void theNormalPathWritesEveryFileInsideTheRunFolderWithTheModeTheUmaskGives() throws Exception {
        String id = TestServer.uniqueId("confine-ok");
        server.send(id, small(id).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        assertThat(run.status()).as(String.valueOf(run.message())).isEqualTo(RunStatus.COMPLETED);
        Path dir = server.runDir(run);
        List<Map<String, Object>> outputs = server.jdbc().sql("SELECT path, sha256, bytes FROM outputs WHERE request_id = ?")
                .param(run.id()).query().listOfRows();
        assertThat(outputs).hasSize(4);
        for (Map<String, Object> o : outputs) {
            Path f = dir.resolve((String) o.get("path"));
            assertThat(Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isTrue();
            assertThat(ItemWriter.sha256(f)).isEqualTo(o.get("sha256"));
        }
        Assumptions.assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX modes only");
        Path probe = Files.createFile(dir.resolveSibling(dir.getFileName() + ".probe"));
        try {
            var expected = Files.getPosixFilePermissions(probe);
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> written = files.filter(Files::isRegularFile).toList();
                assertThat(written).hasSize(8); // an output and a sidecar per item
                for (Path f : written) {
                    assertThat(Files.getPosixFilePermissions(f)).as(f.getFileName().toString()).isEqualTo(expected);
                }
            }
        } finally {
            Files.delete(probe);
        }
    }
}
