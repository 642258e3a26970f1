package dev.kiln.cli;

import java.util.List;

/** One {@code kiln} sub-command, like {@code info} or {@code train}. */
public interface Command {
    /** The word that selects it on the command line. */
    String name();

    /** One line for {@code kiln --help}. */
    String summary();

    /** Full usage text for {@code kiln NAME --help}. */
    String usage();

    /**
     * Runs the command with the arguments after its name. Returns the process exit status.
     * Throws {@link UsageException} for anything the user got wrong (printed as one line, exit 2).
     */
    int run(List<String> args, Console console) throws Exception;
}
