"""A throwaway plugin that imports fine but whose ``register_commands`` hook raises.

The CLI reports the failing hook under the plugin's name, leaves the plugin's other
contributions out (a plugin that failed part-way contributes nothing), and keeps working.
"""

from shequ_sdk import AssociationType, hookimpl


@hookimpl
def register_association_types(register):
    register(AssociationType(key="faulty_club", name_zh="故障俱乐部", name_en="Faulty club"))


@hookimpl
def register_commands(cli):
    raise RuntimeError("命令注册失败 command registration failed")
