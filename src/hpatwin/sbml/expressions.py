"""SymPy expressions → SBML Level 3 math (libSBML ``ASTNode`` trees).

The converter builds ``ASTNode`` objects directly instead of printing text for
``libsbml.parseL3Formula``. Building the tree avoids three traps of the text
route: the L3 parser reads the names ``time``, ``pi``, ``exponentiale``,
``avogadro``, ``true``/``false``, ``inf`` and ``NaN`` as built-in symbols (a
parameter called ``pi`` would silently become 3.14…); the model time symbol
must become the SBML *csymbol* ``time`` (MathML
``<csymbol definitionURL="http://www.sbml.org/sbml/symbols/time">``), never a
parameter named ``t``; and numbers need no decimal round trip through text.

Supported SymPy constructs: numbers (``Integer``, ``Rational``, ``Float``,
``pi``, ``E``, ``oo``), symbols, ``Add``, ``Mul``, ``Pow`` (``sqrt`` and
negative or rational exponents included), ``exp``, ``log`` (natural),
trigonometric and hyperbolic functions, ``Abs``, ``floor``, ``ceiling``,
``Min``/``Max``, ``Mod`` (as ``a - b*floor(a/b)``), ``Piecewise``, relationals
and ``And``/``Or``/``Not``/``Xor``. Anything else raises
:class:`NotImplementedError` naming the construct.

libSBML writes real numbers with 15 significant digits, so a literal such as
``ln 2 = 0.6931471805599453`` is stored as ``0.693147180559945`` (relative
change below 1e-15).

Example
-------
>>> import sympy
>>> from hpatwin.model.definition import TIME
>>> k, x = sympy.symbols("k x", real=True)
>>> sympy_to_l3_formula(-k * x / 2 + sympy.cos(2 * sympy.pi * TIME / 1440))
'cos(pi * time / 720) - k * x / 2'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection

import libsbml
import sympy

from hpatwin.model.definition import TIME

# Largest magnitude written as an SBML integer; larger integers become reals.
_MAX_SBML_INTEGER = 2**31 - 1

_FUNCTIONS: dict[type[sympy.Basic], int] = {
    sympy.exp: libsbml.AST_FUNCTION_EXP,
    sympy.log: libsbml.AST_FUNCTION_LN,
    sympy.sin: libsbml.AST_FUNCTION_SIN,
    sympy.cos: libsbml.AST_FUNCTION_COS,
    sympy.tan: libsbml.AST_FUNCTION_TAN,
    sympy.sec: libsbml.AST_FUNCTION_SEC,
    sympy.csc: libsbml.AST_FUNCTION_CSC,
    sympy.cot: libsbml.AST_FUNCTION_COT,
    sympy.asin: libsbml.AST_FUNCTION_ARCSIN,
    sympy.acos: libsbml.AST_FUNCTION_ARCCOS,
    sympy.atan: libsbml.AST_FUNCTION_ARCTAN,
    sympy.sinh: libsbml.AST_FUNCTION_SINH,
    sympy.cosh: libsbml.AST_FUNCTION_COSH,
    sympy.tanh: libsbml.AST_FUNCTION_TANH,
    sympy.asinh: libsbml.AST_FUNCTION_ARCSINH,
    sympy.acosh: libsbml.AST_FUNCTION_ARCCOSH,
    sympy.atanh: libsbml.AST_FUNCTION_ARCTANH,
    sympy.Abs: libsbml.AST_FUNCTION_ABS,
    sympy.floor: libsbml.AST_FUNCTION_FLOOR,
    sympy.ceiling: libsbml.AST_FUNCTION_CEILING,
    sympy.Min: libsbml.AST_FUNCTION_MIN,
    sympy.Max: libsbml.AST_FUNCTION_MAX,
}

_RELATIONS: dict[str, int] = {
    "<": libsbml.AST_RELATIONAL_LT,
    "<=": libsbml.AST_RELATIONAL_LEQ,
    ">": libsbml.AST_RELATIONAL_GT,
    ">=": libsbml.AST_RELATIONAL_GEQ,
    "==": libsbml.AST_RELATIONAL_EQ,
    "!=": libsbml.AST_RELATIONAL_NEQ,
}

_LOGICAL: dict[type[sympy.Basic], int] = {
    sympy.And: libsbml.AST_LOGICAL_AND,
    sympy.Or: libsbml.AST_LOGICAL_OR,
    sympy.Not: libsbml.AST_LOGICAL_NOT,
    sympy.Xor: libsbml.AST_LOGICAL_XOR,
}


def sympy_to_ast(
    expression: sympy.Basic | float,
    known_names: Collection[str] | None = None,
    time_name: str = TIME.name,
) -> libsbml.ASTNode:
    """Convert a SymPy expression to a libSBML ``ASTNode`` (SBML Level 3 math).

    ``known_names`` (optional) lists the SBML ids a symbol may refer to; any
    other symbol raises ``ValueError`` naming it. The symbol called
    ``time_name`` (the model time ``t``) becomes the SBML ``time`` csymbol.

    Raises ``NotImplementedError`` naming the construct when the expression uses
    something SBML math cannot express (e.g. an undefined function, ``zoo``).

    Example
    -------
    >>> import libsbml, sympy
    >>> from hpatwin.model.definition import TIME
    >>> node = sympy_to_ast(sympy.floor(TIME / 1440))
    >>> node.getType() == libsbml.AST_FUNCTION_FLOOR
    True
    >>> node.getChild(0).getChild(0).getType() == libsbml.AST_NAME_TIME
    True
    """
    converter = _Converter(None if known_names is None else frozenset(known_names), time_name)
    return converter.convert(sympy.sympify(expression))


def sympy_to_l3_formula(
    expression: sympy.Basic | float,
    known_names: Collection[str] | None = None,
    time_name: str = TIME.name,
) -> str:
    """The SBML L3 infix text of ``expression`` (for notes, docs and debugging).

    Example
    -------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> sympy_to_l3_formula(1 / sympy.sqrt(x) + x**-2 + x**sympy.Rational(1, 4))
    'x^0.25 + 1 / x^2 + 1 / sqrt(x)'
    """
    text: str = libsbml.formulaToL3String(sympy_to_ast(expression, known_names, time_name))
    return text


class _Converter:
    """Recursive SymPy → ``ASTNode`` conversion."""

    def __init__(self, known_names: frozenset[str] | None, time_name: str) -> None:
        self.known_names = known_names
        self.time_name = time_name
        self._handlers: list[tuple[type[sympy.Basic], Callable[[sympy.Basic], libsbml.ASTNode]]] = [
            (sympy.Symbol, self._symbol),
            (sympy.Number, self._number),
            (sympy.NumberSymbol, self._number_symbol),
            (sympy.Add, self._add),
            (sympy.Mul, self._mul),
            (sympy.Pow, self._pow),
            (sympy.Piecewise, self._piecewise),
            (sympy.Mod, self._mod),
            (sympy.core.relational.Relational, self._relational),
            (sympy.logic.boolalg.BooleanTrue, lambda _: _node(libsbml.AST_CONSTANT_TRUE)),
            (sympy.logic.boolalg.BooleanFalse, lambda _: _node(libsbml.AST_CONSTANT_FALSE)),
        ]

    def convert(self, expr: sympy.Basic) -> libsbml.ASTNode:
        for kind, handler in self._handlers:
            if isinstance(expr, kind):
                return handler(expr)
        for function_kind, ast_type in (*_FUNCTIONS.items(), *_LOGICAL.items()):
            if isinstance(expr, function_kind):
                return _node(ast_type, *(self.convert(arg) for arg in expr.args))
        raise NotImplementedError(
            f"SBML export: unsupported SymPy construct {type(expr).__name__} in {expr}"
        )

    # ------------------------------------------------------------------ atoms
    def _symbol(self, expr: sympy.Basic) -> libsbml.ASTNode:
        name = str(expr.name)
        if name == self.time_name:
            return _node(libsbml.AST_NAME_TIME, name="time")
        if self.known_names is not None and name not in self.known_names:
            raise ValueError(f"SBML export: symbol {name!r} is not a state, parameter or input")
        return _node(libsbml.AST_NAME, name=name)

    def _number(self, expr: sympy.Basic) -> libsbml.ASTNode:
        if expr is sympy.zoo or expr is sympy.nan:
            raise NotImplementedError(
                f"SBML export: unsupported SymPy construct {expr} (not a number)"
            )
        if isinstance(expr, sympy.Integer) and abs(int(expr)) <= _MAX_SBML_INTEGER:
            value = int(expr)
            if value < 0:
                return _node(libsbml.AST_MINUS, _integer(-value))
            return _integer(value)
        number = float(expr)
        if number < 0:
            return _node(libsbml.AST_MINUS, _real(-number))
        return _real(number)

    def _number_symbol(self, expr: sympy.Basic) -> libsbml.ASTNode:
        if expr is sympy.pi:
            return _node(libsbml.AST_CONSTANT_PI)
        if expr is sympy.E:
            return _node(libsbml.AST_CONSTANT_E)
        return _real(float(expr))  # other named constants (EulerGamma, …) as their value

    # ------------------------------------------------------------- arithmetic
    def _add(self, expr: sympy.Basic) -> libsbml.ASTNode:
        terms = list(expr.as_ordered_terms())
        # Lead with a positive term when there is one: "b - a" reads better than "-a + b".
        positive = [term for term in terms if not term.could_extract_minus_sign()]
        if positive:
            terms.remove(positive[0])
            terms.insert(0, positive[0])
        first = terms[0]
        result = (
            _node(libsbml.AST_MINUS, self.convert(-first))
            if first.could_extract_minus_sign()
            else self.convert(first)
        )
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                result = _node(libsbml.AST_MINUS, result, self.convert(-term))
            else:
                result = _node(libsbml.AST_PLUS, result, self.convert(term))
        return result

    def _mul(self, expr: sympy.Basic) -> libsbml.ASTNode:
        coefficient, factors = expr.as_coeff_mul()
        if coefficient.is_negative:
            return _node(libsbml.AST_MINUS, self.convert(-expr))
        numerator: list[libsbml.ASTNode] = []
        denominator: list[libsbml.ASTNode] = []
        if isinstance(coefficient, sympy.Rational) and not isinstance(coefficient, sympy.Integer):
            if coefficient.p != 1:
                numerator.append(self.convert(sympy.Integer(coefficient.p)))
            denominator.append(self.convert(sympy.Integer(coefficient.q)))
        elif coefficient != 1:
            numerator.append(self.convert(coefficient))
        for factor in factors:
            if _has_negative_numeric_exponent(factor):
                denominator.append(self.convert(factor.base ** (-factor.exp)))
            else:
                numerator.append(self.convert(factor))
        top = _product(numerator)
        if not denominator:
            return top
        return _node(libsbml.AST_DIVIDE, top, _product(denominator))

    def _pow(self, expr: sympy.Basic) -> libsbml.ASTNode:
        base, exponent = expr.args
        if _has_negative_numeric_exponent(expr):
            return _node(libsbml.AST_DIVIDE, _integer(1), self.convert(base ** (-exponent)))
        if exponent == sympy.Rational(1, 2):
            return _node(libsbml.AST_FUNCTION_ROOT, _integer(2), self.convert(base))
        if base is sympy.E:
            return _node(libsbml.AST_FUNCTION_EXP, self.convert(exponent))
        return _node(libsbml.AST_POWER, self.convert(base), self.convert(exponent))

    def _mod(self, expr: sympy.Basic) -> libsbml.ASTNode:
        # SymPy's Mod(a, b) has the sign of b (Python semantics): a - b*floor(a/b).
        dividend, divisor = expr.args
        return self.convert(
            sympy.Add(
                dividend, -divisor * sympy.floor(dividend / divisor, evaluate=False), evaluate=False
            )
        )

    # ------------------------------------------------------------ conditions
    def _piecewise(self, expr: sympy.Basic) -> libsbml.ASTNode:
        children: list[libsbml.ASTNode] = []
        for value, condition in expr.args:
            if condition is sympy.true:
                children.append(self.convert(value))  # "otherwise"
                break
            children.extend((self.convert(value), self.convert(condition)))
        return _node(libsbml.AST_FUNCTION_PIECEWISE, *children)

    def _relational(self, expr: sympy.Basic) -> libsbml.ASTNode:
        operator = str(expr.rel_op)
        if operator not in _RELATIONS:
            raise NotImplementedError(
                f"SBML export: unsupported SymPy construct {type(expr).__name__} in {expr}"
            )
        return _node(_RELATIONS[operator], self.convert(expr.lhs), self.convert(expr.rhs))


def _has_negative_numeric_exponent(expr: sympy.Basic) -> bool:
    return bool(isinstance(expr, sympy.Pow) and expr.exp.is_Number and expr.exp.is_negative)


def _product(factors: list[libsbml.ASTNode]) -> libsbml.ASTNode:
    if not factors:
        return _integer(1)
    if len(factors) == 1:
        return factors[0]
    return _node(libsbml.AST_TIMES, *factors)


def _integer(value: int) -> libsbml.ASTNode:
    node = libsbml.ASTNode(libsbml.AST_INTEGER)
    node.setValue(value)
    return node


def _real(value: float) -> libsbml.ASTNode:
    if math.isnan(value):
        raise NotImplementedError("SBML export: unsupported SymPy construct nan (not a number)")
    node = libsbml.ASTNode(libsbml.AST_REAL)
    node.setValue(value)
    return node


def _node(ast_type: int, *children: libsbml.ASTNode, name: str | None = None) -> libsbml.ASTNode:
    node = libsbml.ASTNode(ast_type)
    if name is not None:
        node.setName(name)
    for child in children:
        if node.addChild(child) != libsbml.LIBSBML_OPERATION_SUCCESS:
            raise RuntimeError(f"SBML export: libSBML refused a child of AST node type {ast_type}")
    return node
