package io.diffusionbatch.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ItemExpansionTest {

    private static Map<String, List<String>> slots(Object... pairs) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<String> values = (List<String>) pairs[i + 1];
            m.put((String) pairs[i], values);
        }
        return m;
    }

    @Test
    void templateExpandsAsNestedLoopsInTemplateOrderLastSlotFastest() {
        List<String> colours = List.of("red", "blue", "green");
        List<String> shapes = List.of("circle", "star");
        List<String> bgs = List.of("white", "black");
        // JSON key order deliberately differs from the template order: the template decides.
        PromptSource.Template t = new PromptSource.Template("a {colour} {shape} on a {bg} background, {colour}!",
                slots("bg", bgs, "shape", shapes, "colour", colours), "neg");
        assertThat(t.slots().keySet()).containsExactly("colour", "shape", "bg");
        List<String> expected = new ArrayList<>();
        List<Map<String, String>> labels = new ArrayList<>();
        for (String c : colours) {
            for (String s : shapes) {
                for (String b : bgs) {
                    expected.add("a " + c + " " + s + " on a " + b + " background, " + c + "!");
                    labels.add(Map.of("colour", c, "shape", s, "bg", b));
                }
            }
        }
        assertThat(t.promptCount()).isEqualTo(12);
        ItemExpansion items = new ItemExpansion(t, new SeedSpec.SeedList(List.of(7L, 3L)), "default-neg");
        assertThat(items.itemCount()).isEqualTo(24);
        List<WorkItem> all = new ArrayList<>();
        items.forEach(all::add);
        assertThat(all).hasSize(24);
        for (int i = 0; i < 24; i++) {
            WorkItem w = all.get(i);
            assertThat(w.index()).isEqualTo(i);
            assertThat(w.prompt()).isEqualTo(expected.get(i / 2));
            assertThat(w.seed()).isEqualTo(i % 2 == 0 ? 7L : 3L);
            assertThat(w.labels()).isEqualTo(labels.get(i / 2));
            assertThat(w.negativePrompt()).isEqualTo("neg");
            assertThat(items.item(i)).isEqualTo(w);
        }
    }

    @Test
    void aMillionItemsAreCountedAndIndexedWithoutBeingBuilt() {
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            a.add("a" + i);
        }
        List<String> b = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            b.add("b" + i);
        }
        PromptSource.Template t = new PromptSource.Template("{a} and {b}", slots("a", a, "b", b), null);
        ItemExpansion items = new ItemExpansion(t, new SeedSpec.SeedRange(10, 5), null);
        assertThat(items.itemCount()).isEqualTo(1_000_000);
        // item = prompt × 10 + seed; prompt 99,999 = a[999] (99,999 / 100), b[99] (99,999 mod 100); seed index 9
        assertThat(items.item(999_999)).isEqualTo(new WorkItem(999_999, "a999 and b99", "", 14,
                Map.of("a", "a999", "b", "b99")));
        // item 123,456: prompt 12,345 = a[123], b[45]; seed index 6 → 11
        assertThat(items.item(123_456)).isEqualTo(new WorkItem(123_456, "a123 and b45", "", 11,
                Map.of("a", "a123", "b", "b45")));
        assertThatThrownBy(() -> items.item(1_000_000)).isInstanceOf(IndexOutOfBoundsException.class);
        // a 10^18-item expansion is counted just as cheaply (nothing proportional to the count is built)
        ItemExpansion huge = new ItemExpansion(t, new SeedSpec.SeedRange(1_000_000_000_000_000L / 100_000, 0), null);
        assertThat(huge.itemCount()).isEqualTo(1_000_000_000_000_000L);
        assertThat(huge.item(huge.itemCount() - 1).prompt()).isEqualTo("a999 and b99");
    }

    @Test
    void aPromptWithItsOwnSeedMakesExactlyOneItem() {
        PromptSource.Inline prompts = new PromptSource.Inline(List.of(PromptEntry.of("p0"),
                new PromptEntry("p1", "own-neg", 99L, Map.of("k", "v")), PromptEntry.of("p2")));
        ItemExpansion items = new ItemExpansion(prompts, new SeedSpec.SeedRange(3, 10), "req-neg");
        assertThat(items.itemCount()).isEqualTo(7);
        List<String> got = new ArrayList<>();
        items.forEach(w -> got.add(w.index() + ":" + w.prompt() + ":" + w.seed() + ":" + w.negativePrompt()));
        assertThat(got).containsExactly("0:p0:10:req-neg", "1:p0:11:req-neg", "2:p0:12:req-neg",
                "3:p1:99:own-neg", "4:p2:10:req-neg", "5:p2:11:req-neg", "6:p2:12:req-neg");
        assertThat(items.item(3).labels()).containsEntry("k", "v");
    }

    @Test
    void rangeIteratorsCoverPartitions() {
        PromptSource.Inline prompts = new PromptSource.Inline(List.of(PromptEntry.of("a"), PromptEntry.of("b")));
        ItemExpansion items = new ItemExpansion(prompts, new SeedSpec.SeedList(List.of(1L, 2L, 3L)), null);
        List<Long> seen = new ArrayList<>();
        items.forEach(0, 4, w -> seen.add(w.index()));
        items.forEach(4, 6, w -> seen.add(w.index()));
        assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(items.item(4).prompt()).isEqualTo("b");
        assertThat(items.item(4).seed()).isEqualTo(2L);
        assertThat(items.item(4).negativePrompt()).isEmpty();
        assertThatThrownBy(() -> items.iterator(2, 7)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void templateWithoutPlaceholdersIsOnePrompt() {
        PromptSource.Template t = new PromptSource.Template("just {this is not a slot}", Map.of(), null);
        assertThat(t.promptCount()).isEqualTo(1);
        assertThat(t.entry(0).prompt()).isEqualTo("just {this is not a slot}");
    }

    @Test
    void slotValuesAreInsertedLiterally() {
        PromptSource.Template t = new PromptSource.Template("x {a} y", slots("a", List.of("$1 \\ {a}")), null);
        assertThat(t.entry(0).prompt()).isEqualTo("x $1 \\ {a} y");
    }
}
