package dev.kiln.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry point of {@code kiln}: dispatches to the sub-commands. */
public final class Main {
    private Main() {
    }

    static Map<String, Command> commands() {
        Map<String, Command> m = new LinkedHashMap<>();
        for (Command c : List.<Command>of(new TrainCommand(), new EvaluateCommand(), new InfoCommand(),
                new VerifyCommand(), new BenchCommand())) {
            m.put(c.name(), c);
        }
        return m;
    }

    public static void main(String[] args) {
        // One short line per log record ("INFO: Kiln backend: cpu:0 ...") instead of JUL's two-line default.
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        System.exit(run(args, Console.system()));
    }

    /** Runs {@code kiln} with {@code args}; returns the exit status instead of exiting (for tests). */
    public static int run(String[] args, Console console) {
        Map<String, Command> commands = commands();
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            console.out().println(help(commands));
            return args.length == 0 ? 2 : 0;
        }
        Command c = commands.get(args[0]);
        if (c == null) {
            console.err().println("kiln: unknown command '" + args[0] + "'; commands: "
                    + String.join(", ", commands.keySet()));
            return 2;
        }
        List<String> rest = new ArrayList<>(List.of(args).subList(1, args.length));
        if (rest.contains("--help") || rest.contains("-h")) {
            console.out().println(c.usage());
            return 0;
        }
        try {
            return c.run(rest, console);
        } catch (UsageException e) {
            console.err().println("kiln " + c.name() + ": " + e.getMessage());
            return e.exitCode();
        } catch (IllegalArgumentException | IllegalStateException | dev.kiln.core.KilnException e) {
            console.err().println("kiln " + c.name() + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            console.err().println("kiln " + c.name() + ": " + e);
            return 1;
        }
    }

    static String help(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder("Usage: kiln <command> [options]\n\nCommands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format("  %-10s %s%n", c.name(), c.summary()));
        }
        sb.append("\nRun 'kiln <command> --help' for a command's options.");
        return sb.toString();
    }
}
