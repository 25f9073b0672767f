package io.diffusionbatch.output;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The local output store on real folders: the normal path, and links planted after a run was accepted. */
class LocalOutputStoreTest {

    @TempDir
    Path tmp;

    private Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root")).toRealPath();
    }

    private Path outside() throws IOException {
        return Files.createDirectories(tmp.resolve("outside"));
    }

    private static long filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).count();
        }
    }

    @Test
    void stagesPublishesReadsBackAndClears() throws IOException {
        Path root = root();
        LocalOutputStore store = new LocalOutputStore(root);
        Path run = root.resolve("jobs/a");
        Path staging = store.staging(run, "p0");
        assertThat(staging).isEqualTo(run.resolve(".staging/p0")).isDirectory();
        Files.writeString(staging.resolve("x.png"), "bytes");
        Path published = store.publish(run, staging.resolve("x.png"));
        assertThat(published).isEqualTo(run.resolve("x.png")).hasContent("bytes");
        assertThat(staging.resolve("x.png")).doesNotExist();
        try (OutputStore.Stored f = store.open(run, "x.png")) {
            assertThat(f.size()).isEqualTo(5);
            ByteBuffer b = ByteBuffer.allocate(5);
            f.channel().read(b);
            assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("bytes");
        }
        // a re-made item replaces its file
        Files.writeString(store.staging(run, "p0").resolve("x.png"), "again");
        store.publish(run, staging.resolve("x.png"));
        assertThat(published).hasContent("again");
        Files.writeString(staging.resolve("left.tmp"), "half");
        store.clearStaging(run, "p0");
        assertThat(staging).doesNotExist();
        store.clearStaging(run, "never-made"); // nothing to clear is fine
    }

    @Test
    void aRootThatIsALinkIsFineAndFoldersGetTheUmasksMode() throws IOException {
        Path real = root();
        Path link = Files.createSymbolicLink(tmp.resolve("root-link"), real);
        LocalOutputStore store = new LocalOutputStore(link);
        Path staging = store.staging(link.resolve("r"), "p");
        assertThat(staging).isEqualTo(real.resolve("r/.staging/p"));
        if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Path plain = Files.createDirectory(tmp.resolve("plain"));
            assertThat(Files.getPosixFilePermissions(real.resolve("r")))
                    .isEqualTo(Files.getPosixFilePermissions(staging)).isEqualTo(Files.getPosixFilePermissions(plain));
        }
    }

    @Test
    void aRunFolderReplacedByALinkIsRefusedAndNothingIsWrittenOutside() throws IOException {
        Path root = root();
        Path outside = outside();
        LocalOutputStore store = new LocalOutputStore(root);
        Path run = root.resolve("jobs/b");
        Files.createDirectories(root.resolve("jobs"));
        Files.createSymbolicLink(run, outside);
        assertThatThrownBy(() -> store.staging(run, "p0")).isInstanceOf(OutputRefusedException.class)
                .hasMessageContaining(run + " is a symbolic link").hasMessageContaining("to " + outside)
                .hasMessageContaining("inside the output root " + root);
        assertThatThrownBy(() -> store.clearStaging(run, "p0")).isInstanceOf(OutputRefusedException.class);
        assertThatThrownBy(() -> store.open(run, "x.png")).isInstanceOf(OutputRefusedException.class);
        assertThat(filesUnder(outside)).isZero();
        // a link higher up is refused as well
        Path deep = root.resolve("up/run");
        Files.createSymbolicLink(root.resolve("up"), outside);
        assertThatThrownBy(() -> store.staging(deep, "p0")).isInstanceOf(OutputRefusedException.class)
                .hasMessageContaining(root.resolve("up") + " is a symbolic link");
        assertThat(filesUnder(outside)).isZero();
    }

    @Test
    void aStagingFolderReplacedByALinkIsRefusedAtEveryStep() throws IOException {
        Path root = root();
        Path outside = outside();
        Files.writeString(outside.resolve("keep.txt"), "not yours");
        Files.createDirectories(outside.resolve("p0"));
        Files.writeString(outside.resolve("p0/victim.png"), "not yours either");
        LocalOutputStore store = new LocalOutputStore(root);
        Path run = root.resolve("c");
        Path staging = store.staging(run, "p0");
        Files.writeString(staging.resolve("x.png"), "bytes");
        // .staging swapped for a link after the partition started
        Path dot = run.resolve(OutputStore.STAGING);
        Files.move(dot, run.resolve("moved-away"));
        Files.createSymbolicLink(dot, outside);
        assertThatThrownBy(() -> store.staging(run, "p0")).isInstanceOf(OutputRefusedException.class)
                .hasMessageContaining(dot + " is a symbolic link");
        assertThatThrownBy(() -> store.publish(run, staging.resolve("victim.png")))
                .isInstanceOf(OutputRefusedException.class);
        assertThatThrownBy(() -> store.clearStaging(run, "p0")).isInstanceOf(OutputRefusedException.class);
        assertThat(outside.resolve("keep.txt")).hasContent("not yours");
        assertThat(outside.resolve("p0/victim.png")).hasContent("not yours either");
        assertThat(run.resolve("victim.png")).doesNotExist();
    }

    @Test
    void aFileOrFolderOutsideTheRootOrThroughALinkIsNeverOpened() throws IOException {
        Path root = root();
        Path outside = outside();
        Path secret = Files.writeString(outside.resolve("secret"), "s");
        LocalOutputStore store = new LocalOutputStore(root);
        Path run = root.resolve("d");
        Files.writeString(store.staging(run, "p").resolve("ok.png"), "ok");
        store.publish(run, run.resolve(".staging/p/ok.png"));
        Files.createSymbolicLink(run.resolve("out.png"), secret);
        Files.createSymbolicLink(run.resolve("in.png"), run.resolve("ok.png"));
        Files.createDirectories(run.resolve("sub"));
        for (String bad : new String[]{"out.png", "in.png", "sub", "../d/ok.png", "./ok.png", "", "a//b"}) {
            assertThatThrownBy(() -> store.open(run, bad)).as(bad).isInstanceOf(OutputRefusedException.class);
        }
        assertThatThrownBy(() -> store.open(run, "gone.png")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.open(outside, "secret")).isInstanceOf(OutputRefusedException.class)
                .hasMessageContaining("outside the output root");
        assertThatThrownBy(() -> store.staging(outside, "p")).isInstanceOf(OutputRefusedException.class);
        assertThatThrownBy(() -> store.staging(run, "../p")).isInstanceOf(IllegalArgumentException.class);
        try (OutputStore.Stored f = store.open(run, "ok.png")) {
            assertThat(f.size()).isEqualTo(2);
            assertThat(f.version()).isNotBlank();
        }
    }

    @Test
    void aFileInTheWayOfAFolderIsRefused() throws IOException {
        Path root = root();
        LocalOutputStore store = new LocalOutputStore(root);
        Files.writeString(root.resolve("e"), "a file where the run folder goes");
        assertThatThrownBy(() -> store.staging(root.resolve("e"), "p")).isInstanceOf(OutputRefusedException.class)
                .hasMessageContaining("is not a folder");
    }
}
