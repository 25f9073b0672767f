package io.diffusionbatch.ledger;

import io.diffusionbatch.platform.DependencyFailure;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The database probe's one line: what failed by SQLSTATE, and an address without its query string. */
class DatabaseProbeTest {

    @Test
    void theVerbFollowsTheSqlState() {
        assertThat(DatabaseProbe.verb("28P01")).isEqualTo("cannot log in to");
        assertThat(DatabaseProbe.verb("28000")).isEqualTo("cannot log in to");
        assertThat(DatabaseProbe.verb("3D000")).isEqualTo("no such database on");
        assertThat(DatabaseProbe.verb("08001")).isEqualTo("cannot reach");
        assertThat(DatabaseProbe.verb(null)).isEqualTo("cannot reach");
    }

    @Test
    void theAddressLeavesOutTheQueryStringWherePasswordsMayBe() {
        assertThat(DatabaseProbe.address("jdbc:postgresql://db:5432/ledger?user=u&password=secret"))
                .isEqualTo("jdbc:postgresql://db:5432/ledger");
        assertThat(DatabaseProbe.address("jdbc:postgresql://db/ledger")).isEqualTo("jdbc:postgresql://db/ledger");
    }

    @Test
    void aClosedPortIsOneLineWithTheDatabaseExitCode() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/ledger?password=secret";
        assertThatThrownBy(() -> DatabaseProbe.check(url, "u", "secret"))
                .isInstanceOfSatisfying(DependencyFailure.class, f -> {
                    assertThat(f.service().exitCode()).isEqualTo(10);
                    assertThat(f.getMessage()).isEqualTo("cannot reach PostgreSQL at jdbc:postgresql://127.0.0.1:" + port
                            + "/ledger: Connection refused").doesNotContain("secret");
                });
    }
}
