// README's command-line examples as tests. In a ```sh block, a line `COMMAND   # → OUTPUT` shows
// what COMMAND prints; lines right below a command of the form `# → MORE` give (more of) its
// output. A command whose comment is prose (`# one JSON line per message`), or that no `# →`
// line follows, shows no output and is not an example.

const OUTPUT_MARK = "# → ";

/** The examples of a Markdown text, in order: `{ command, expected: string[], line }` (1-based). */
export function readmeExamples(markdown) {
  const examples = [];
  let inShell = false;
  let current;
  markdown.split("\n").forEach((text, index) => {
    const fence = /^```(\S*)/.exec(text);
    if (fence) {
      inShell = !inShell && (fence[1] === "sh" || fence[1] === "bash");
      current = undefined;
    } else if (!inShell) {
      // prose
    } else if (text.startsWith(OUTPUT_MARK)) {
      current?.expected.push(text.slice(OUTPUT_MARK.length));
    } else if (text.trim() === "" || text.startsWith("#")) {
      current = undefined;
    } else {
      const marked = text.indexOf(` ${OUTPUT_MARK}`);
      const prose = text.indexOf(" # ");
      if (marked > 0)
        current = { command: text.slice(0, marked).trim(), expected: [text.slice(marked + 1 + OUTPUT_MARK.length)], line: index + 1 };
      else current = prose > 0 ? undefined : { command: text.trim(), expected: [], line: index + 1 };
      if (current) examples.push(current);
    }
  });
  return examples.filter((example) => example.expected.length > 0);
}
