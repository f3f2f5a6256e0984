"""Deployment facts -> graph rows, added to a snapshot `analyzer.graph.build_snapshot` made.

Ids follow build_snapshot's: a module is `<snapshot>|<path>`, its n-th endpoint
`analyzer.graph.endpoint_id`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from analyzer.configs.model import Deployment
from analyzer.graph import GraphSnapshot, endpoint_id

if TYPE_CHECKING:  # analyzer.endpoints reads the configs package: a type here, not an import cycle
    from analyzer.endpoints import EndpointResolution


def add_deployment(graph: GraphSnapshot, deployment: Deployment, endpoints: EndpointResolution) -> None:
    snapshot, nodes, rels = graph.snapshot, graph.nodes, graph.rels
    file_ids = {f.path: f"{snapshot}|config:{f.path}" for f in deployment.files}
    agent_ids = [f"{snapshot}|agent:{n}" for n in range(len(deployment.agents))]
    ports = [*deployment.declared_ports(), *endpoints.extra_ports]
    port_ids = {id(p): f"{snapshot}|cport:{n}" for n, p in enumerate(ports)}
    agents_per_file = Counter(a.path for a in deployment.agents)
    ports_per_file = Counter(p.path for p in ports)
    for file in deployment.files:
        nodes["ConfigFile"].add(
            id=file_ids[file.path], snapshot=snapshot, path=file.path, machine=file.machine, kind=file.kind,
            parse_status=file.parse_status, error_kind=file.error_kind, error_message=file.error_message,
            error_line=file.error_line, agents=agents_per_file[file.path], ports=ports_per_file[file.path],
        )
    for port in ports:
        nodes["ConfigPort"].add(
            id=port_ids[id(port)], snapshot=snapshot, path=port.path, machine=port.machine, line=port.line,
            name=port.name, kind=port.kind, port=port.port, text=port.text, agent=port.agent, owner=port.owner,
            socket=port.socket,
        )
        rels["DECLARES_PORT"].add(**{"from": file_ids[port.path], "to": port_ids[id(port)]})
    for index, agent in enumerate(deployment.agents):
        _add_agent(graph, deployment, index, agent_ids, file_ids, port_ids)
    _add_cycles(graph, deployment, agent_ids)
    _add_endpoint_links(graph, endpoints, port_ids)


def _add_agent(graph: GraphSnapshot, deployment: Deployment, index: int, agent_ids, file_ids, port_ids) -> None:
    agent, agent_id = deployment.agents[index], agent_ids[index]
    graph.nodes["ConfiguredAgent"].add(
        id=agent_id, snapshot=graph.snapshot, path=agent.path, machine=agent.machine, line=agent.line, name=agent.name,
        group=agent.group, script=agent.script, script_path=agent.script_path, script_found=agent.script_found,
        host=agent.host, port=agent.port.port if agent.port else None, port_text=agent.port.text if agent.port else "",
        health_port=agent.health_port.port if agent.health_port else None, required=agent.required,
        dependencies=",".join(d.name for d in agent.dependencies), undeclared_dependencies=",".join(agent.undeclared),
        points_to=",".join(agent.points_to),
    )
    rels = graph.rels
    rels["DECLARES_AGENT"].add(**{"from": file_ids[agent.path], "to": agent_id})
    for port in agent.ports():
        rels["HAS_CONFIG_PORT"].add(**{"from": agent_id, "to": port_ids[id(port)]})
    for target, line in agent.depends_on:
        cross = deployment.agents[target].machine != agent.machine
        rels["DEPENDS_ON"].add(**{"from": agent_id, "to": agent_ids[target]}, line=line, cross_machine=cross)
    if agent.runs_module:
        rels["RUNS"].add(**{"from": agent_id, "to": f"{graph.snapshot}|{agent.script_path}"})


def _add_cycles(graph: GraphSnapshot, deployment: Deployment, agent_ids) -> None:
    for n, cycle in enumerate(deployment.cycles):
        members = [deployment.agents[i] for i in cycle.members]
        cycle_id = f"{graph.snapshot}|agentcycle:{n}"
        graph.nodes["ConfigDependencyCycle"].add(
            id=cycle_id, snapshot=graph.snapshot, members=",".join(a.name for a in members),
            machines=",".join(sorted({a.machine for a in members})), size=len(members), path=members[0].path,
            line=members[0].line,
        )
        for position, index in enumerate(cycle.members):
            graph.rels["IN_DEPENDENCY_CYCLE"].add(**{"from": agent_ids[index], "to": cycle_id}, position=position)


def _add_endpoint_links(graph: GraphSnapshot, endpoints: EndpointResolution, port_ids) -> None:
    """PORT_FROM: the config value an endpoint's number came from; CONFIGURED_AS: the values declaring it."""
    for endpoint in endpoints.endpoints:
        node_id = endpoint_id(f"{graph.snapshot}|{endpoint.path}", endpoint.index)
        if endpoint.port_from is not None:
            graph.rels["PORT_FROM"].add(**{"from": node_id, "to": port_ids[id(endpoint.port_from)]})
        for declared in endpoint.configured_as:
            graph.rels["CONFIGURED_AS"].add(**{"from": node_id, "to": port_ids[id(declared)]})
