package io.diffusionbatch.job;

import io.diffusionbatch.ledger.ItemStore;
import io.diffusionbatch.ledger.RequestRow;
import io.diffusionbatch.output.OutputRoot;
import io.diffusionbatch.output.OutputStore;
import io.diffusionbatch.platform.TestServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The end-of-run sweep removes the files of items without an output row (what a micro-batch whose
 * transaction never committed leaves) and nothing else: not the outputs, not other files, not
 * links.
 */
class OrphanFilesTest {

    private final TestServer server = TestServer.get();

    @Test
    void onlyFilesOfItemsWithoutAnOutputRowAreRemoved() throws Exception {
        String id = TestServer.uniqueId("orphans");
        server.send(id, GenerationJobTest.request(id, "tiny", 2, 2, 2, 0, "orphans/" + id).getBytes(StandardCharsets.UTF_8));
        RequestRow run = server.awaitFinished(id, Duration.ofSeconds(120));
        Path dir = server.runDir(run);
        String stem0 = server.jdbc().sql("SELECT path FROM outputs WHERE request_id = ? AND idx = 0").param(run.id())
                .query(String.class).single().replaceAll("\\.png$", "");
        // item 0 as a crash would leave it: files in place, no output row
        server.jdbc().sql("DELETE FROM item_stats WHERE request_id = ? AND idx = 0").param(run.id()).update();
        server.jdbc().sql("DELETE FROM outputs WHERE request_id = ? AND idx = 0").param(run.id()).update();
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Path outside = Files.createTempFile("outside-", ".png");
        Files.createSymbolicLink(dir.resolve("00000000-999.png"), outside); // named like item 0: a link is never removed
        Files.createDirectories(dir.resolve(".staging/generatePartition:partition0"));
        Files.writeString(dir.resolve(".staging/generatePartition:partition0/00000001-101.png"), "half");

        int removed = OrphanFiles.sweep(server.bean(OutputRoot.class), run.outputDir(), run.id(), server.bean(ItemStore.class),
                server.bean(OutputStore.class));

        assertThat(removed).as("item 0's PNG and sidecar").isEqualTo(2);
        assertThat(dir.resolve(stem0 + ".png")).doesNotExist();
        assertThat(dir.resolve(stem0 + ".json")).doesNotExist();
        List<String> left;
        try (var s = Files.list(dir)) {
            left = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(left).as("the other items' files, the user's file and the link stay; staging goes")
                .hasSize(3 * 2 + 2).contains("notes.txt", "00000000-999.png").doesNotContain(".staging");
        assertThat(outside).exists();
    }

    /** Two runs writing into one folder: what the other run records is never an orphan of this one. */
    @Test
    void aFileAnotherRunOfTheSameFolderRecordsIsKept() throws Exception {
        String location = "orphans-shared/" + TestServer.uniqueId("f");
        String a = TestServer.uniqueId("orphans-a");
        String b = TestServer.uniqueId("orphans-b");
        server.send(a, GenerationJobTest.request(a, "tiny", 1, 2, 2, 0, location).getBytes(StandardCharsets.UTF_8));
        RequestRow runA = server.awaitFinished(a, Duration.ofSeconds(120));
        server.send(b, GenerationJobTest.request(b, "tiny", 1, 2, 2, 0, location).getBytes(StandardCharsets.UTF_8));
        RequestRow runB = server.awaitFinished(b, Duration.ofSeconds(120));
        assertThat(runB.outputDir()).isEqualTo(runA.outputDir()).as("kept relative to the output root").isEqualTo(location);
        Path dir = server.runDir(runA);
        String stem0 = server.jdbc().sql("SELECT path FROM outputs WHERE request_id = ? AND idx = 0").param(runA.id())
                .query(String.class).single().replaceAll("\\.png$", "");
        server.jdbc().sql("DELETE FROM item_stats WHERE request_id = ? AND idx = 0").param(runA.id()).update();
        server.jdbc().sql("DELETE FROM outputs WHERE request_id = ? AND idx = 0").param(runA.id()).update();

        OutputRoot root = server.bean(OutputRoot.class);
        int removed = OrphanFiles.sweep(root, location, runA.id(), server.bean(ItemStore.class),
                server.bean(OutputStore.class));

        assertThat(removed).as("item 0's files are run B's output").isZero();
        assertThat(dir.resolve(stem0 + ".png")).exists();

        // run B as an older version stored it: the absolute folder (under the root's real path) is the same folder
        server.jdbc().sql("UPDATE requests SET output_dir = ? WHERE id = ?")
                .params(dir.toRealPath().toString(), runB.id()).update();
        assertThat(OrphanFiles.sweep(root, location, runA.id(), server.bean(ItemStore.class),
                server.bean(OutputStore.class))).as("run B's absolute row names the same folder").isZero();
        assertThat(dir.resolve(stem0 + ".png")).exists();
    }
}
