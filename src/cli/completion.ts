import type { Command, Option } from 'commander';
import { UsageError } from '../contract/errors.js';

/**
 * Shell completion generated from the command tree itself, so a new command or option completes without anyone
 * editing a script. `zombiescan completion bash|zsh|fish` prints the script to source.
 */

export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

interface Node {
  /** Space-joined command path, '' for the top level. */
  path: string;
  description: string;
  options: { flags: string[]; description: string; choices: readonly string[] }[];
  children: string[];
}

function walk(command: Command, prefix: string, into: Node[]): void {
  const visible = command.commands.filter((child) => child.name() !== 'help');
  into.push({
    path: prefix,
    description: command.description(),
    options: command.options.map((option: Option) => ({
      flags: [option.long, option.short].filter((flag): flag is string => typeof flag === 'string'),
      description: option.description,
      choices: option.argChoices ?? [],
    })),
    children: visible.map((child) => child.name()),
  });
  for (const child of visible) walk(child, prefix === '' ? child.name() : `${prefix} ${child.name()}`, into);
}

export function completionScript(program: Command, shell: string): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  const name = program.name();
  const globals = nodes[0]!.options.flatMap((option) => option.flags);
  switch (shell) {
    case 'bash':
      return bashScript(name, nodes, globals);
    case 'zsh':
      // zsh runs the bash function through bashcompinit: one generated table, two shells.
      return `#compdef ${name}\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(name, nodes, globals)}`;
    case 'fish':
      return fishScript(name, nodes);
    default:
      throw new UsageError(`completion: unknown shell "${shell}" (known: ${COMPLETION_SHELLS.join(', ')})`);
  }
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bashScript(name: string, nodes: Node[], globals: string[]): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const cases = nodes
    .map((node) => {
      const words = [...node.children, ...node.options.flatMap((option) => option.flags), ...globals];
      const choices = node.options
        .filter((option) => option.choices.length > 0)
        .flatMap((option) => option.flags.map((flag) => `      ${flag}) words=${quote(option.choices.join(' '))} ;;`));
      return [
        `    ${quote(node.path)})`,
        `      words=${quote([...new Set(words)].join(' '))}`,
        choices.length > 0 ? `      case "$prev" in\n${choices.join('\n')}\n      esac` : '',
        '      ;;',
      ]
        .filter(Boolean)
        .join('\n');
    })
    .join('\n');
  // bash refuses an empty key in an associative array: every path is keyed with a leading `_`.
  const children = nodes.map((node) => `[${quote(`_${node.path}`)}]=${quote(node.children.join(' '))}`).join(' ');
  return `# ${name} completion for bash (and zsh through bashcompinit): eval "$(${name} completion bash)"
${fn}() {
  local cur prev path word words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  declare -A children=(${children})
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    local next="\${path:+$path }$word"
    [[ " \${children[_$path]} " == *" $word "* ]] && path="$next"
  done
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function fishScript(name: string, nodes: Node[]): string {
  const lines = [`# ${name} completion for fish: ${name} completion fish | source`, `complete -c ${name} -f`];
  for (const node of nodes) {
    const parts = node.path === '' ? [] : node.path.split(' ');
    const condition =
      parts.length === 0
        ? '__fish_use_subcommand'
        : parts.map((part) => `__fish_seen_subcommand_from ${part}`).join('; and ');
    for (const child of node.children) {
      const childNode = nodes.find((n) => n.path === (node.path === '' ? child : `${node.path} ${child}`));
      lines.push(`complete -c ${name} -n ${quote(condition)} -a ${child} -d ${quote(childNode?.description ?? '')}`);
    }
    for (const option of node.options) {
      const long = option.flags.find((flag) => flag.startsWith('--'))?.slice(2);
      if (!long) continue;
      const choices = option.choices.length > 0 ? ` -r -a ${quote(option.choices.join(' '))}` : '';
      const scope = parts.length === 0 ? '' : ` -n ${quote(condition)}`;
      lines.push(`complete -c ${name}${scope} -l ${long}${choices} -d ${quote(option.description)}`);
    }
  }
  return lines.join('\n') + '\n';
}
