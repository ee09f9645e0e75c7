"""Walking a graph of :class:`~dlbook.autograd.Value` nodes: the order backpropagation needs.

:meth:`Value.backward <dlbook.autograd.Value.backward>` must call every node's local backward
pass only after *all* the nodes that use it have called theirs, so that the node holds its whole
gradient before passing it on: :func:`topological_order` lists the nodes so (inputs first,
without recursion, so any depth works). :func:`backward_naive_recursive` is the tempting
alternative that recurses from the output and gets shared nodes wrong; it is here to be shown
in the backpropagation chapter, not used.

A node is anything with the two attributes a :class:`~dlbook.autograd.Value` has: ``_prev``,
the tuple of its inputs, and ``_backward``, its local backward pass. Both functions are
importable from :mod:`dlbook.autograd` as well.
"""

__all__ = ["topological_order", "backward_naive_recursive"]


def _check_node(root):
    if not (hasattr(root, "_prev") and hasattr(root, "_backward")):
        raise TypeError(f"root: needs a Value, got {type(root).__name__}")


def topological_order(root):
    """Every node of the graph that ends in ``root``, each input before the nodes that use it.

    A depth-first search with an explicit stack (no recursion, so graphs deeper than Python's
    recursion limit work): a node is appended once all of its inputs have been. The leaves come
    first and ``root`` last; the order is deterministic (inputs are explored in operand order).

    Parameters
    ----------
    root : Value

    Returns
    -------
    order : list of Value
        Its length is the number of nodes; those with a non-empty ``_op`` are the operations.

    Examples
    --------
    >>> from dlbook.autograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + x
    >>> [node._op or node.label for node in topological_order(y)]
    ['x', '*', '+']
    """
    _check_node(root)
    order = []
    visited = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child not in visited:
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:  # all inputs of `node` are in `order`
            stack.pop()
            order.append(node)
    return order


def backward_naive_recursive(root):
    """The WRONG way to backpropagate: recurse from the output without a topological order.

    Seeds ``root.grad = 1``, then calls ``node._backward()`` as soon as ``node`` is reached
    and recurses into its inputs, once for every path by which it is reached. A node used by two
    others is reached twice: the first time it passes on only the part of its gradient that has
    arrived so far, the second time its accumulated gradient *again*, so everything before it
    gets too much. The result is right only when no interior node is shared (a tree), and the
    work grows with the number of paths, which can be exponential in the depth; deep graphs also
    hit Python's recursion limit. :meth:`Value.backward` does it right.

    All gradients of the graph are zeroed first, so the result can be compared directly with
    :meth:`Value.backward`.

    Parameters
    ----------
    root : Value

    Returns
    -------
    calls : int
        How many times a node's local backward pass was called (``len(topological_order(root))``
        for the correct algorithm).

    Examples
    --------
    :math:`a = 2x` is used twice in :math:`y = a^2 + a`, so
    :math:`dy/dx = (2a + 1) \\cdot 2 = 26` at :math:`x = 3`:

    >>> from dlbook.autograd import Value
    >>> x = Value(3.0)
    >>> a = x * 2
    >>> y = a * a + a
    >>> backward_naive_recursive(y)
    8
    >>> x.grad
    52.0
    >>> y.zero_grad()
    >>> y.backward()
    >>> x.grad
    26.0
    """
    _check_node(root)
    root.zero_grad()
    root.grad = 1.0
    calls = 0

    def visit(node):
        nonlocal calls
        node._backward()  # passes on whatever node.grad holds *now*
        calls += 1
        for child in node._prev:
            visit(child)

    visit(root)
    return calls
