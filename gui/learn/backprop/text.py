"""What the backpropagation view writes: numbers as a person reads them, each phase's explanation,
the chain rule of the selected wire with its numbers, and the optimizer's update (HTML)."""

from __future__ import annotations

import math

from core.learn.backprop_chain import ChainRule, DeltaTerm
from core.learn.backprop_steps import Pass, Update
from gui.inspector.names import design_order, node_name

MAX_DELTAS = 6  # δ lines written out; the others are on the canvas
MAX_TERMS = 4  # terms of a sum written out before "+ …"
DERIVATIVES = {"sigmoid": "σ′", "tanh": "tanh′", "relu": "ReLU′", "identity": "identity′",
               "leaky_relu": "leaky′", "elu": "ELU′", "prelu": "PReLU′", "softplus": "softplus′",
               "gelu": "GELU′", "silu": "SiLU′", "arctan": "arctan′", "step": "step′"}
LOSSES = {
    "binary_cross_entropy": "L = −[t·ln a + (1 − t)·ln(1 − a)]",
    "softmax_cross_entropy": "L = −ln a<sub>true class</sub>",
    "mse": "L = ½·Σ (a − t)²",
    "mae": "L = Σ |a − t|",
    "huber": "L = ½(a − t)² near the target, |a − t| − ½ farther",
    "hinge": "L = max(0, 1 − t·a), t = ±1",
}


def short(v: float) -> str:
    """A number for the canvas: two or three figures, a true minus sign (0.53, −0.012, 1.2e−5)."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return "∞" if v > 0 else "−∞" if v < 0 else "NaN"
    a = abs(v)
    if a < 1e-3 or a >= 1000:
        text = f"{v:.1e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    elif a < 0.1:
        text = f"{v:.2g}"
    elif a < 10:
        text = f"{v:.2f}"
    else:
        text = f"{v:.1f}"
    return text.replace("-", "−")


def num(v: float | None, digits: int = 4) -> str:
    """A number for the text: `digits` significant figures, powers of ten as ·10ⁿ (HTML)."""
    if v is None:
        return "—"
    if not math.isfinite(v):
        return "∞" if v > 0 else "−∞" if v < 0 else "NaN"
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.{digits}g}".replace("-", "−")
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return f"{mantissa}·10<sup>{int(exponent)}</sup>".replace("-", "−")


def par(v: float) -> str:
    """A factor in a product: negative numbers in brackets."""
    return f"({num(v)})" if v < 0 else num(v)


class Names:
    """How the text names nodes and wires: as every other view does (n3 as a subscript, an input
    by its feature)."""

    def __init__(self, step: Pass, design) -> None:
        self.step, self.design = step, design

    def node(self, node_id: str) -> str:
        return node_name(self.design, node_id)

    def sub(self, symbol: str, node_id: str) -> str:
        return f"<i>{symbol}</i><sub>{self.node(node_id)}</sub>"

    def value(self, node_id: str) -> str:
        """What a node passes on: an input's value (x1) or a neuron's a."""
        if node_id in self.step.inputs:
            return f"<i>{self.node(node_id)}</i>"
        return self.sub("a", node_id)

    def wire(self, source: str, target: str) -> str:
        return f"<i>w</i><sub>{self.node(source)}→{self.node(target)}</sub>"

    def derivative(self, node_id: str) -> str:
        act = self.design.nodes[node_id].params.get("activation", "")
        return f"{DERIVATIVES.get(act, 'f′')}({self.sub('z', node_id)})"


def batch_line(step: Pass, design, step_number: int) -> str:
    b = step.batch
    if b.kind == "sample":
        i = int(b.rows[0])
        names = Names(step, design)
        values = ", ".join(f"{names.node(nid)} = {num(float(v[0]), 3)}"
                           for nid, v in list(step.inputs.items())[:4])
        more = "…" if len(step.inputs) > 4 else ""
        target = ", ".join(num(float(t), 3) for t in b.t[0])
        return (f"Step {step_number}: one training sample (no. {i}): {values}{more}; "
                f"target {target}.")
    if len(b.rows) == 1:
        return (f"Step {step_number}: a mini-batch of one training sample (the batch size is 1; "
                f"no. {int(b.rows[0])} of the training set).")
    return (f"Step {step_number}: a mini-batch of {len(b.rows)} training samples. The canvas shows "
            f"z and a averaged over them, and each gradient summed over them (the loss is their "
            f"mean, so each sample's share carries 1/{len(b.rows)}).")


def forward_text(step: Pass, design) -> str:
    n = Names(step, design)
    net = step.network
    where = "for this sample" if step.batch.kind == "sample" else "averaged over the batch"
    order = design_order(design)
    first = min(net.layers[0], key=lambda nid: order[nid])  # the first neuron of the first layer
    s = 0
    unit = net.units[first]
    terms = [f"{par(net.weights[c])}·{par(float(step.value(src)[s]))}"
             for c, src in unit.incoming[:MAX_TERMS]]
    more = " + …" if len(unit.incoming) > MAX_TERMS else ""
    v = step.neurons[first]
    act = design.nodes[first].params.get("activation", "")
    example = "for the first sample of the batch, " if step.batch.kind == "batch" else ""
    outputs = ", ".join(f"{n.sub('a', o)} = {num(step.shown(o)['a'])}" for o in net.outputs)
    return (f"<p><b>1 · Forward.</b> Each neuron adds up what comes in, each input times its "
            f"wire's weight, plus its bias: <i>z</i> = Σ <i>w</i>·<i>a</i> + <i>b</i>; its "
            f"activation turns the sum into what it passes on, <i>a</i> = f(<i>z</i>). Inside "
            f"each neuron: <i>z</i> above, <i>a</i> below, {where}.</p>"
            f"<p>For instance ({example}{n.node(first)}): {n.sub('z', first)} = "
            f"{' + '.join(terms)}{more} + {par(net.biases[first])} = {num(float(v.z[s]))}, and "
            f"{n.sub('a', first)} = {act}({num(float(v.z[s]))}) = {num(float(v.a[s]))}.</p>"
            f"<p>The output: {outputs}.</p>")


def loss_text(step: Pass, design) -> str:
    n = Names(step, design)
    formula = LOSSES.get(step.loss_id, step.loss_id)
    if step.mode == "logits":
        formula += " on the output read as a logit (σ or softmax applied inside the loss)"
    if step.mode == "perceptron":
        formula = ("a step output is 0 or 1 and has no gradient: the perceptron rule corrects "
                   "each weight by the error (y − t) instead; the loss shown counts the mistakes")
    outs = "; ".join(f"{n.sub('a', o)} = {num(step.shown(o)['a'])}, target "
                     f"{num(float(step.neurons[o].target.mean()))}" for o in step.network.outputs)
    text = (f"<p><b>2 · Loss.</b> The output is compared with the target: {formula}.</p>"
            f"<p>{outs}{' (means over the batch)' if step.batch.kind == 'batch' else ''}.</p>"
            f"<p><b>L = {num(step.loss)}</b></p>")
    if len(step.sample_losses) > 1:
        shares = ", ".join(num(float(v), 3) for v in step.sample_losses[:8])
        more = ", …" if len(step.sample_losses) > 8 else ""
        text += f"<p>The mean of the {len(step.sample_losses)} samples' losses: {shares}{more}.</p>"
    return text


def backward_text(step: Pass, design) -> str:
    n = Names(step, design)
    grads = step.wire_grads
    big = max(grads, key=lambda c: abs(grads[c]))
    small = min(grads, key=lambda c: abs(grads[c]))
    conns = design.connections
    ratio = abs(grads[big]) / abs(grads[small]) if grads[small] else math.inf
    output = {"fused": "for cross-entropy on a sigmoid or softmax the two derivatives "
                       "∂L/∂a·∂a/∂z simplify to (a − t)",
              "perceptron": "the perceptron rule takes (y − t)",
              }.get(step.mode, "∂L/∂a from the loss times the activation's slope ∂a/∂z")
    return (f"<p><b>3 · Backward.</b> The loss's gradient flows back along the wires. Inside each "
            f"neuron: ∂L/∂<i>a</i> above and ∂L/∂<i>z</i> (its δ) below; its fill and each wire's "
            f"colour show the sign and size (legend below).</p>"
            f"<p>At the output, δ = ∂L/∂<i>z</i>: {output}. Going back, each hidden neuron "
            f"collects the δs of the neurons it feeds, weighted by its wires, and multiplies by "
            f"its own slope: δ<sub><i>j</i></sub> = f′(<i>z<sub>j</sub></i>)·Σ<sub><i>k</i></sub> "
            f"<i>w<sub>jk</sub></i>·δ<sub><i>k</i></sub>. A wire's gradient is what it carried "
            f"times the δ where it ends: ∂L/∂<i>w<sub>ij</sub></i> = <i>a<sub>i</sub></i>·"
            f"δ<sub><i>j</i></sub>.</p>"
            f"<p>Largest: {n.wire(conns[big].source, conns[big].target)} = {num(grads[big])}; "
            f"smallest: {n.wire(conns[small].source, conns[small].target)} = {num(grads[small])}"
            f"{'' if not math.isfinite(ratio) else f' ({num(ratio, 2)} times smaller)'}.</p>"
            f"<p>Select a wire on the canvas: the next phase writes out its chain rule.</p>")


def delta_line(d: DeltaTerm, n: Names, step: Pass) -> str:
    """δ of one neuron, written out with its numbers."""
    nid = d.node_id
    if d.output:
        if step.mode == "fused":
            count = len(step.batch.rows)
            scale = f"/{count}" if count > 1 else ""
            return (f"δ<sub>{n.node(nid)}</sub> = ∂L/∂{n.sub('z', nid)} = ({n.sub('a', nid)} − "
                    f"<i>t</i>){scale} = ({num(d.a)} − {num(d.target)}){scale} = {num(d.dz)}")
        if step.mode == "perceptron":
            return (f"δ<sub>{n.node(nid)}</sub> = (y − <i>t</i>) = ({num(d.a)} − "
                    f"{num(d.target)}) = {num(d.dz)}  (the perceptron rule)")
        if d.fprime is None:
            return (f"δ<sub>{n.node(nid)}</sub> = ∂L/∂{n.sub('z', nid)} = {num(d.dz)}  (through the "
                    f"softmax, which mixes the outputs)")
        return (f"δ<sub>{n.node(nid)}</sub> = ∂L/∂{n.sub('a', nid)} · {n.derivative(nid)} = "
                f"{par(d.da)} × {par(d.fprime)} = {num(d.dz)}")
    terms = [f"{par(w)}·{par(dk)}" for _c, _t, w, dk in d.downstream[:MAX_TERMS]]
    more = f" + … ({len(d.downstream)} terms)" if len(d.downstream) > MAX_TERMS else ""
    slope = "softmax" if d.fprime is None else par(d.fprime)
    return (f"δ<sub>{n.node(nid)}</sub> = {n.derivative(nid)} · Σ <i>w</i>·δ = {slope} × "
            f"({' + '.join(terms)}{more}) = {slope} × {par(d.da)} = {num(d.dz)}")


def factor_symbol(f, n: Names) -> str:
    if f.kind == "dL/dz":
        return f"∂L/∂{n.sub('z', f.node)}"
    if f.kind == "dL/da":
        return f"∂L/∂{n.sub('a', f.node)}"
    if f.kind == "da/dz":
        return n.derivative(f.node)
    if f.kind == "w":
        return n.wire(f.source, f.node)
    return n.value(f.node)


def chain_text(rule: ChainRule, step: Pass, design) -> str:
    n = Names(step, design)
    w = n.wire(rule.source, rule.target)
    first = (" Written out for the batch's first sample (the canvas shows the batch's sums)."
             if rule.n > 1 else "")
    parts = [f"<p><b>4 · Update</b> of {w}, the selected wire (select another on the canvas to "
             f"follow it instead).{first}</p>",
             f"<p><b>The chain rule.</b> ∂L/∂{w} = ∂L/∂{n.sub('z', rule.target)} · "
             f"∂{n.sub('z', rule.target)}/∂{w} = δ<sub>{n.node(rule.target)}</sub> · "
             f"{n.value(rule.source)} = {par(rule.delta)} × {par(rule.a_source)} = "
             f"<b>{num(rule.product)}</b></p>",
             "<p>The δs come back from the loss neuron by neuron (δ = ∂L/∂z):</p><p>"]
    deltas = list(reversed(rule.deltas))  # from the outputs back to the wire's neuron
    shown = deltas if len(deltas) <= MAX_DELTAS else deltas[:2] + deltas[-(MAX_DELTAS - 2):]
    for i, d in enumerate(shown):
        if len(deltas) > MAX_DELTAS and i == 2:
            parts.append(f"… {len(deltas) - MAX_DELTAS} more δs in between (on the canvas) …<br>")
        parts.append(delta_line(d, n, step) + ("<br>" if i < len(shown) - 1 else ""))
    parts.append("</p>")
    parts.append(paths_text(rule, n))
    if rule.n > 1:
        shares = " + ".join(par(float(v)) for v in rule.terms[:MAX_TERMS])
        more = " + …" if rule.n > MAX_TERMS else ""
        parts.append(f"<p>That is the first sample's share. Over the mini-batch, ∂L/∂{w} is the sum "
                     f"of all {rule.n} samples' shares: {shares}{more} = <b>{num(rule.gradient)}</b>"
                     f".</p>")
    return "".join(parts)


def paths_text(rule: ChainRule, n: Names) -> str:
    if rule.path_sum is None:
        return ("<p>A softmax between this wire and the loss mixes its neurons, so the gradient "
                "does not split into one product per path; the δs above are the whole story.</p>")
    if rule.path_count == 1 and rule.paths:
        p = rule.paths[0]
        symbols = " · ".join(factor_symbol(f, n) for f in p.factors)
        values = " × ".join(par(f.value) for f in p.factors)
        return (f"<p>Written as one product along the only path from the weight to the loss: "
                f"∂L/∂w = {symbols} = {values} = {num(p.product)}.</p>")
    template = ""
    if rule.paths:
        generic = {"dL/dz": "∂L/∂<i>z</i><sub>out</sub>", "dL/da": "∂L/∂<i>a</i><sub>out</sub>",
                   "w": "<i>w</i>", "da/dz": "f′(<i>z</i>)"}
        template = " (" + " · ".join(generic.get(f.kind) or factor_symbol(f, n)
                                     for f in rule.paths[0].factors) + ")"
    lines = [f"<p>Equivalently, a sum over the {rule.path_count:,} paths from the weight to the "
             f"loss, each the product of the derivatives along it{template}"
             + (". The largest:</p><p>" if rule.paths else ".</p><p>")]
    for p in rule.paths[:3]:
        route = "→".join(n.node(x) for x in p.nodes)
        values = " × ".join(par(f.value) for f in p.factors)
        lines.append(f"via {route}: {values} = {num(p.product)}<br>")
    lines.append(f"Sum over all {rule.path_count:,} paths = {num(rule.path_sum)}</p>")
    return "".join(lines)


def update_text(update: Update, key: str, name: str) -> str:
    """The optimizer's step for one weight (`key`: its connection id), before it is applied."""
    e = update.entry(key)
    w, g, used, new, lr = e["w"], e["g"], e["used"], e["new"], update.learning_rate
    before, after, p = e["before"], e["after"], update.settings
    lines = [f"<p><b>The update</b> ({OPTIMIZERS.get(update.optimizer, update.optimizer)}, "
             f"learning rate η = {num(lr)}):<br>"]
    if update.l1 or update.l2:
        lines.append(f"the regularization adds to the gradient: <i>g</i> = ∂L/∂w"
                     f"{' + λ₂·w' if update.l2 else ''}{' + λ₁·sign(w)' if update.l1 else ''}"
                     f" = {num(used if update.clip_scale == 1 else used / update.clip_scale)}<br>")
    if update.clip_scale != 1:
        lines.append(f"clipping scaled every gradient by {num(update.clip_scale, 3)} (their norm "
                     f"was over {num(update.clip_norm)}): <i>g</i> = {num(used)}<br>")
    g_text = "∂L/∂w" if used == g else "<i>g</i>"
    if update.optimizer == "sgd":
        lines.append(f"{name} ← w − η·{g_text} = {num(w)} − {num(lr)} × {par(used)} = "
                     f"<b>{num(new)}</b>")
    elif update.optimizer in ("momentum", "nesterov"):
        mu, v = p["momentum"], after["velocity"]
        lines.append(f"velocity v ← μ·v + {g_text} = {num(mu)} × {par(before['velocity'])} + "
                     f"{par(used)} = {num(v)}<br>")
        if update.optimizer == "momentum":
            lines.append(f"{name} ← w − η·v = {num(w)} − {num(lr)} × {par(v)} = <b>{num(new)}</b>")
        else:
            lines.append(f"{name} ← w − η·({g_text} + μ·v) = {num(w)} − {num(lr)} × "
                         f"({par(used)} + {num(mu)} × {par(v)}) = <b>{num(new)}</b>")
    elif update.optimizer == "rmsprop":
        rho, sq = p["rho"], after["square_avg"]
        lines.append(f"s ← ρ·s + (1 − ρ)·{g_text}² = {num(rho)} × {num(before['square_avg'])} + "
                     f"{num(1 - rho)} × {par(used)}² = {num(sq)}<br>"
                     f"{name} ← w − η·{g_text}/(√s + ε) = {num(w)} − {num(lr)} × {par(used)}/"
                     f"{num(math.sqrt(sq) + p['eps'])} = <b>{num(new)}</b>")
    elif update.optimizer in ("adam", "adamw"):
        b1, b2, t = p["beta1"], p["beta2"], update.step
        m, v = after["m"], after["v"]
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        if update.optimizer == "adamw":
            lines.append(f"first the decay: w ← w·(1 − η·λ) with λ = {num(p['weight_decay'])}<br>")
        lines.append(f"m ← β₁·m + (1 − β₁)·{g_text} = {num(b1)} × {par(before['m'])} + "
                     f"{num(1 - b1)} × {par(used)} = {num(m)}<br>"
                     f"v ← β₂·v + (1 − β₂)·{g_text}² = {num(b2)} × {num(before['v'])} + "
                     f"{num(1 - b2)} × {par(used)}² = {num(v)}<br>"
                     f"corrected for step {t}: M = m/(1 − β₁<sup>{t}</sup>) = {num(m_hat)}, "
                     f"V = v/(1 − β₂<sup>{t}</sup>) = {num(v_hat)}<br>"
                     f"{name} ← w − η·M/(√V + ε) = {num(w)} − {num(lr)} × {par(m_hat)}/"
                     f"{num(math.sqrt(v_hat) + p['eps'])} = <b>{num(new)}</b>")
    else:
        lines.append(f"{name} ← {num(w)} + ({num(new - w)}) = <b>{num(new)}</b>")
    lines.append("</p><p>Next Phase applies the update to every weight and bias at once, as "
                 "one step on the undo stack.</p>")
    return "".join(lines)


OPTIMIZERS = {"sgd": "plain gradient descent", "momentum": "SGD with momentum",
              "nesterov": "Nesterov momentum", "rmsprop": "RMSprop", "adam": "Adam",
              "adamw": "AdamW"}
