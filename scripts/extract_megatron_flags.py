"""Lists every command-line flag Megatron-LM's `parse_args` defines, read statically from a checkout (no import,
no torch): the `add_argument('--…')` calls of megatron/training/arguments.py, and the flags ArgumentGroupFactory
derives from the config dataclasses it is given there (`--field-name`; a bool defaulting to True gets
`--no-field-name` and `--disable-field-name`; an `argparse_meta` `arg_names` overrides; `exclude=` is honoured;
see megatron/training/argument_utils.py). Prints a TypeScript module for src/core/references/megatron-flags.ts.

Usage: python3 scripts/extract_megatron_flags.py /path/to/Megatron-LM  > src/core/references/megatron-flags.ts
"""
import ast
import subprocess
import sys
from pathlib import Path

root = Path(sys.argv[1])
commit = subprocess.check_output(['git', '-C', str(root), 'rev-parse', 'HEAD'], text=True).strip()


def source(path: str) -> ast.Module:
    text = subprocess.check_output(['git', '-C', str(root), 'show', f'HEAD:{path}'], text=True)
    return ast.parse(text)


CLASS_FILES = {
    'TransformerConfig': 'megatron/core/transformer/transformer_config.py',
    'ModelParallelConfig': 'megatron/core/model_parallel_config.py',
    'StragglerDetectionConfig': 'megatron/training/config/resilience_config.py',
    'RerunStateMachineConfig': 'megatron/training/config/resilience_config.py',
    'LoggerConfig': 'megatron/training/config/training_config.py',
    'TrainingConfig': 'megatron/training/config/training_config.py',
    'SchedulerConfig': 'megatron/training/config/training_config.py',
    'CheckpointConfig': 'megatron/training/config/training_config.py',
    'ValidationConfig': 'megatron/training/config/training_config.py',
    'TokenizerConfig': 'megatron/training/config/training_config.py',
    'ProfilingConfig': 'megatron/training/config/common_config.py',
    'RNGConfig': 'megatron/training/config/common_config.py',
    'DistributedInitConfig': 'megatron/training/config/common_config.py',
    'FaultInjectorConfig': 'megatron/core/fault_injector.py',
}


def dataclass_flags(name: str, exclude: set) -> set:
    module = source(CLASS_FILES[name])
    cls = next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == name)
    flags = set()
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in CLASS_FILES:
            flags |= dataclass_flags(base.id, exclude)
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        field = stmt.target.id
        if field.startswith('_') or field in exclude:
            continue
        annotation = ast.unparse(stmt.annotation)
        if annotation.startswith('ClassVar') or 'InitVar' in annotation:
            continue
        default = stmt.value
        names = None
        if isinstance(default, ast.Call) and ast.unparse(default.func).endswith('field'):
            for kw in default.keywords:
                if kw.arg == 'init' and isinstance(kw.value, ast.Constant) and kw.value.value is False:
                    names = []
                if kw.arg == 'metadata':
                    for node in ast.walk(kw.value):
                        if isinstance(node, ast.Dict):
                            for k, v in zip(node.keys, node.values):
                                if isinstance(k, ast.Constant) and k.value == 'arg_names' and isinstance(v, ast.List):
                                    names = [e.value for e in v.elts if isinstance(e, ast.Constant)]
                if kw.arg == 'default':
                    default = kw.value
        if names is None:
            flag = field.replace('_', '-')
            if annotation == 'bool' and isinstance(default, ast.Constant) and default.value is True:
                names = [f'--no-{flag}', f'--disable-{flag}']
            else:
                names = [f'--{flag}']
        flags |= set(names)
    return flags


def constant_strings(node) -> list:
    return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)] if isinstance(node, (ast.List, ast.Tuple)) else []


arguments = source('megatron/training/arguments.py')
flags = set()
variables = {}
for node in ast.walk(arguments):
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.List):
        variables[node.targets[0].id] = set(constant_strings(node.value))
for node in ast.walk(arguments):
    if not isinstance(node, ast.Call):
        continue
    func = ast.unparse(node.func)
    if func.endswith('add_argument'):
        flags |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith('--')}
    elif func == 'ArgumentGroupFactory' and node.args and isinstance(node.args[0], ast.Name):
        exclude = set()
        for kw in node.keywords:
            if kw.arg == 'exclude':
                exclude = variables.get(kw.value.id, set()) if isinstance(kw.value, ast.Name) else set(constant_strings(kw.value))
        flags |= dataclass_flags(node.args[0].id, exclude)

names = sorted(f[2:].replace('-', '_') for f in flags)
print('/**')
print(f' * Every flag Megatron-LM @{commit[:7]} defines in `parse_args` (dest-style names: `--moe-router-topk` →')
print(" * `moe_router_topk`), for \"did you mean\" on a misspelt flag. Generated by scripts/extract_megatron_flags.py")
print(' * from megatron/training/arguments.py and the config dataclasses its ArgumentGroupFactory calls read; do not edit.')
print(' */')
print(f"export const MEGATRON_FLAGS_COMMIT = '{commit[:7]}';")
print()
print('export const MEGATRON_FLAGS: readonly string[] = [')
for n in names:
    print(f"  '{n}',")
print('];')
