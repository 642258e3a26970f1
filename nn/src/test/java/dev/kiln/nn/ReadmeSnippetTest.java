package dev.kiln.nn;

import dev.kiln.core.Backend;
import dev.kiln.core.Backends;
import dev.kiln.core.Tensor;
import dev.kiln.nn.data.BatchLoader;
import dev.kiln.nn.data.MnistData;
import dev.kiln.nn.layers.Linear;
import dev.kiln.nn.layers.ReLU;
import dev.kiln.nn.layers.Sequential;
import dev.kiln.nn.loss.CrossEntropyLoss;
import dev.kiln.nn.optim.SGD;
import dev.kiln.nn.schedule.StepLR;
import dev.kiln.core.SgdParams;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles and runs the README's training loop, exactly as the project's README.md shows it (the
 * test also checks that the two texts agree), so the README cannot drift from the API.
 */
class ReadmeSnippetTest {
    @Test
    void textbookLoopTrains() throws Exception {
        float firstLoss = Float.NaN;
        // README-SNIPPET-BEGIN
        float lastLoss = Float.NaN;
        MnistData mnist = MnistData.bundled();                 // 8,000 + 2,000 digits, bundled in kiln-nn
        try (Backend backend = Backends.open();                // best available: CUDA, OpenCL or CPU
             Sequential model = Sequential.of(
                     new Linear(backend, 784, 128, new Rng(42)), new ReLU(),
                     new Linear(backend, 128, 64, new Rng(43)), new ReLU(),
                     new Linear(backend, 64, 10, new Rng(44)));
             CrossEntropyLoss criterion = new CrossEntropyLoss();
             SGD optimizer = new SGD(model.parameters(), 0.01, SgdParams.momentum(0.9f));
             Tensor images = backend.zeros(64, 784);
             Tensor labels = backend.labels(new int[64])) {
            StepLR scheduler = new StepLR(optimizer, 2, 0.1);  // lr x 0.1 every 2 epochs
            BatchLoader loader = new BatchLoader(mnist.train(), 64, true, 42);
            for (int epoch = 1; epoch <= 3; epoch++) {
                loader.startEpoch(epoch);
                while (loader.next() && loader.rows() == 64) {  // drops the last partial batch
                    loader.copyImagesTo(images);                // bytes to floats, on the backend
                    labels.copyFrom(loader.labels());
                    optimizer.zeroGrad();                       // zero the gradients
                    Tensor logits = model.forward(images);      // forward
                    Tensor loss = criterion.forward(logits, labels); // loss (and its gradient)
                    model.backward(criterion.backward());       // backward
                    optimizer.step();                           // update the weights
                    lastLoss = loss.item();                     // item() waits for the device
                    // README-SNIPPET-END
                    if (Float.isNaN(firstLoss)) {
                        firstLoss = lastLoss;
                    }
                    // README-SNIPPET-BEGIN
                }
                scheduler.step();                               // once per epoch
                System.getLogger("readme").log(System.Logger.Level.INFO, "epoch " + epoch + " loss " + lastLoss);
            }
        }
        // README-SNIPPET-END
        assertTrue(firstLoss > 2.0 && lastLoss < 0.6, "the loss falls from " + firstLoss + " to " + lastLoss);
    }

    @Test
    void readmeSnippetFileMatchesThisTest() throws Exception {
        Path test = Path.of("src/test/java/dev/kiln/nn/ReadmeSnippetTest.java");
        Path md = Path.of("../README.md");
        String src = Files.readString(test, StandardCharsets.UTF_8);
        StringBuilder snippet = new StringBuilder();
        boolean in = false;
        int minIndent = Integer.MAX_VALUE;
        java.util.List<String> lines = new java.util.ArrayList<>();
        for (String line : src.split("\n", -1)) {
            // The markers are spelt in two pieces here so that these lines do not match themselves.
            if (line.contains("README-SNIPPET-" + "BEGIN")) {
                in = true;
            } else if (line.contains("README-SNIPPET-" + "END")) {
                in = false;
            } else if (in) {
                lines.add(line);
                if (!line.isBlank()) {
                    minIndent = Math.min(minIndent, line.length() - line.stripLeading().length());
                }
            }
        }
        for (String line : lines) {
            snippet.append(line.isBlank() ? "" : line.substring(minIndent)).append('\n');
        }
        String doc = Files.readString(md, StandardCharsets.UTF_8);
        int start = doc.indexOf("```java\n", doc.indexOf("README-SNIPPET"));
        int end = doc.indexOf("```", start + 8);
        assertTrue(doc.contains("README-SNIPPET") && start >= 0 && end > start,
                "README.md holds the training loop in a java block after its README-SNIPPET marker");
        assertEquals(snippet.toString(), doc.substring(start + 8, end),
                "README.md must hold exactly the loop in ReadmeSnippetTest");
    }
}
