package metering

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/ast"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"
	"github.com/dop251/goja/token"
	"github.com/dop251/goja/unistring"
)

// The globals instrumented code calls; Install defines them.
const (
	reservedPrefix = "$cooper_"
	fnHook         = "$cooper_meter_fn"
	loopHook       = "$cooper_meter_loop"
	catHook        = "$cooper_meter_cat"
)

// Instrument parses src and compiles it with meter calls inserted: one at the
// start of the program, of every function body and of every loop iteration,
// and $cooper_meter_cat around every `+`, `+=`, untagged template literal and
// spread argument (it charges for the string or array passing through).
//
// Code naming an identifier that starts with "$cooper_" is refused, and so
// is the `with` statement (it could shadow the meter globals). The program
// is compiled as strict mode code, as an ES module is: writes to frozen
// objects throw, `this` in a plain call is undefined and assigning an
// undeclared name is a ReferenceError.
func Instrument(filename, src string) (*goja.Program, error) {
	prog, err := parser.ParseFile(nil, filename, src, 0)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, fmt.Errorf("instrument %s: %s: %s", filename, list[0].Position, list[0].Message)
		}
		return nil, fmt.Errorf("instrument %s: %w", filename, err)
	}
	w := &walker{file: prog.File}
	w.stmts(prog.Body)
	if w.err != nil {
		return nil, fmt.Errorf("instrument %s: %w", filename, w.err)
	}
	var at file.Idx = 1
	if len(prog.Body) > 0 {
		at = prog.Body[0].Idx0()
	}
	prog.Body = insertHook(prog.Body, fnHook, at)
	p, err := goja.CompileAST(prog, true)
	if err != nil {
		return nil, fmt.Errorf("instrument %s: %w", filename, err)
	}
	return p, nil
}

// walker rewrites an AST in place; err is the first refusal.
type walker struct {
	file *file.File
	err  error
}

func (w *walker) fail(at file.Idx, format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("%s: %s", w.file.Position(int(at)-w.file.Base()), fmt.Sprintf(format, args...))
	}
}

// hookCall is the AST of `name(args...)` placed at at.
func hookCall(name string, at, end file.Idx, args ...ast.Expression) *ast.CallExpression {
	return &ast.CallExpression{
		Callee:           &ast.Identifier{Name: unistring.String(name), Idx: at},
		LeftParenthesis:  at,
		ArgumentList:     args,
		RightParenthesis: end - 1,
	}
}

// insertHook puts a `name()` statement after the directive prologue of list.
func insertHook(list []ast.Statement, name string, at file.Idx) []ast.Statement {
	n := 0
	for _, st := range list {
		es, ok := st.(*ast.ExpressionStatement)
		if !ok {
			break
		}
		if _, ok := es.Expression.(*ast.StringLiteral); !ok {
			break
		}
		n++
	}
	call := &ast.ExpressionStatement{Expression: hookCall(name, at, at+1)}
	out := make([]ast.Statement, 0, len(list)+1)
	out = append(out, list[:n]...)
	out = append(out, call)
	return append(out, list[n:]...)
}

// loopBody returns body preceded by a loop charge.
func (w *walker) loopBody(body ast.Statement) ast.Statement {
	body = w.stmt(body)
	if b, ok := body.(*ast.BlockStatement); ok {
		b.List = insertHook(b.List, loopHook, b.LeftBrace)
		return b
	}
	at := body.Idx0()
	return &ast.BlockStatement{
		LeftBrace:  at,
		List:       []ast.Statement{&ast.ExpressionStatement{Expression: hookCall(loopHook, at, at+1)}, body},
		RightBrace: body.Idx1() - 1,
	}
}

// ident refuses the reserved names.
func (w *walker) ident(id *ast.Identifier) {
	if id != nil && strings.HasPrefix(string(id.Name), reservedPrefix) {
		w.fail(id.Idx, "identifier %s is reserved for the meter", id.Name)
	}
}

func (w *walker) stmts(list []ast.Statement) {
	for i, s := range list {
		list[i] = w.stmt(s)
	}
}

func (w *walker) stmt(s ast.Statement) ast.Statement {
	switch s := s.(type) {
	case nil:
	case *ast.BlockStatement:
		w.stmts(s.List)
	case *ast.BadStatement:
		w.fail(s.From, "bad statement")
	case *ast.BranchStatement:
		w.ident(s.Label)
	case *ast.CaseStatement:
		s.Test = w.expr(s.Test)
		w.stmts(s.Consequent)
	case *ast.CatchStatement:
		w.target(s.Parameter)
		w.stmt(s.Body)
	case *ast.DebuggerStatement, *ast.EmptyStatement:
	case *ast.DoWhileStatement:
		s.Body = w.loopBody(s.Body)
		s.Test = w.expr(s.Test)
	case *ast.ExpressionStatement:
		s.Expression = w.expr(s.Expression)
	case *ast.ForInStatement:
		w.forInto(s.Into)
		s.Source = w.expr(s.Source)
		s.Body = w.loopBody(s.Body)
	case *ast.ForOfStatement:
		w.forInto(s.Into)
		s.Source = w.expr(s.Source)
		s.Body = w.loopBody(s.Body)
	case *ast.ForStatement:
		switch init := s.Initializer.(type) {
		case nil:
		case *ast.ForLoopInitializerExpression:
			init.Expression = w.expr(init.Expression)
		case *ast.ForLoopInitializerVarDeclList:
			w.bindings(init.List)
		case *ast.ForLoopInitializerLexicalDecl:
			w.bindings(init.LexicalDeclaration.List)
		default:
			w.fail(s.For, "unknown for initializer %T", init)
		}
		s.Test = w.expr(s.Test)
		s.Update = w.expr(s.Update)
		s.Body = w.loopBody(s.Body)
	case *ast.IfStatement:
		s.Test = w.expr(s.Test)
		s.Consequent = w.stmt(s.Consequent)
		s.Alternate = w.stmt(s.Alternate)
	case *ast.LabelledStatement:
		w.ident(s.Label)
		s.Statement = w.stmt(s.Statement)
	case *ast.ReturnStatement:
		s.Argument = w.expr(s.Argument)
	case *ast.SwitchStatement:
		s.Discriminant = w.expr(s.Discriminant)
		for _, c := range s.Body {
			w.stmt(c)
		}
	case *ast.ThrowStatement:
		s.Argument = w.expr(s.Argument)
	case *ast.TryStatement:
		w.stmt(s.Body)
		if s.Catch != nil {
			w.stmt(s.Catch)
		}
		if s.Finally != nil {
			w.stmt(s.Finally)
		}
	case *ast.VariableStatement:
		w.bindings(s.List)
	case *ast.LexicalDeclaration:
		w.bindings(s.List)
	case *ast.WhileStatement:
		s.Test = w.expr(s.Test)
		s.Body = w.loopBody(s.Body)
	case *ast.WithStatement:
		w.fail(s.With, "the with statement is not allowed in metered code")
	case *ast.FunctionDeclaration:
		w.function(s.Function)
	case *ast.ClassDeclaration:
		w.class(s.Class)
	default:
		w.fail(s.Idx0(), "cannot meter statement %T", s)
	}
	return s
}

func (w *walker) forInto(into ast.ForInto) {
	switch into := into.(type) {
	case *ast.ForIntoVar:
		w.binding(into.Binding)
	case *ast.ForDeclaration:
		w.target(into.Target)
	case *ast.ForIntoExpression:
		into.Expression = w.expr(into.Expression)
	default:
		w.fail(into.Idx0(), "unknown for-in/of target %T", into)
	}
}

func (w *walker) bindings(list []*ast.Binding) {
	for _, b := range list {
		w.binding(b)
	}
}

func (w *walker) binding(b *ast.Binding) {
	w.target(b.Target)
	b.Initializer = w.expr(b.Initializer)
}

// target walks a binding or assignment target; targets are never rewritten.
func (w *walker) target(t ast.Expression) {
	if t != nil {
		if e := w.expr(t); e != t {
			w.fail(t.Idx0(), "internal error: rewrote a binding target")
		}
	}
}

func (w *walker) exprs(list []ast.Expression) {
	for i, e := range list {
		list[i] = w.expr(e)
	}
}

// spreads walks call arguments or array elements, charging for spreads.
func (w *walker) spreads(list []ast.Expression) {
	for i, e := range list {
		if sp, ok := e.(*ast.SpreadElement); ok {
			inner := w.expr(sp.Expression)
			sp.Expression = hookCall(catHook, inner.Idx0(), inner.Idx1(), inner)
			continue
		}
		list[i] = w.expr(e)
	}
}

func (w *walker) function(f *ast.FunctionLiteral) {
	if f == nil {
		return
	}
	w.ident(f.Name)
	w.params(f.ParameterList)
	w.stmts(f.Body.List)
	f.Body.List = insertHook(f.Body.List, fnHook, f.Body.LeftBrace)
}

func (w *walker) params(p *ast.ParameterList) {
	if p == nil {
		return
	}
	w.bindings(p.List)
	w.target(p.Rest)
}

func (w *walker) class(c *ast.ClassLiteral) {
	if c == nil {
		return
	}
	w.ident(c.Name)
	c.SuperClass = w.expr(c.SuperClass)
	for _, el := range c.Body {
		switch el := el.(type) {
		case *ast.FieldDefinition:
			el.Key = w.expr(el.Key)
			el.Initializer = w.expr(el.Initializer)
		case *ast.MethodDefinition:
			el.Key = w.expr(el.Key)
			w.function(el.Body)
		case *ast.ClassStaticBlock:
			w.stmt(el.Block)
			el.Block.List = insertHook(el.Block.List, fnHook, el.Block.LeftBrace)
		default:
			w.fail(el.Idx0(), "cannot meter class element %T", el)
		}
	}
}

func (w *walker) property(p ast.Property) {
	switch p := p.(type) {
	case *ast.PropertyShort:
		w.ident(&p.Name)
		p.Initializer = w.expr(p.Initializer)
	case *ast.PropertyKeyed:
		p.Key = w.expr(p.Key)
		p.Value = w.expr(p.Value)
	case *ast.SpreadElement:
		p.Expression = w.expr(p.Expression)
	default:
		w.fail(p.Idx0(), "cannot meter property %T", p)
	}
}

func (w *walker) expr(e ast.Expression) ast.Expression {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.YieldExpression:
		e.Argument = w.expr(e.Argument)
	case *ast.AwaitExpression:
		e.Argument = w.expr(e.Argument)
	case *ast.ArrayLiteral:
		w.spreads(e.Value)
	case *ast.ArrayPattern:
		w.exprs(e.Elements)
		w.target(e.Rest)
	case *ast.AssignExpression:
		w.target(e.Left)
		e.Right = w.expr(e.Right)
		if e.Operator == token.PLUS {
			return hookCall(catHook, e.Idx0(), e.Idx1(), e)
		}
	case *ast.BadExpression:
		w.fail(e.From, "bad expression")
	case *ast.BinaryExpression:
		e.Left = w.expr(e.Left)
		e.Right = w.expr(e.Right)
		if e.Operator == token.PLUS {
			return hookCall(catHook, e.Idx0(), e.Idx1(), e)
		}
	case *ast.BooleanLiteral, *ast.NullLiteral, *ast.NumberLiteral, *ast.RegExpLiteral,
		*ast.StringLiteral, *ast.ThisExpression, *ast.SuperExpression:
	case *ast.BracketExpression:
		e.Left = w.expr(e.Left)
		e.Member = w.expr(e.Member)
	case *ast.CallExpression:
		e.Callee = w.expr(e.Callee)
		w.spreads(e.ArgumentList)
	case *ast.ConditionalExpression:
		e.Test = w.expr(e.Test)
		e.Consequent = w.expr(e.Consequent)
		e.Alternate = w.expr(e.Alternate)
	case *ast.DotExpression:
		e.Left = w.expr(e.Left)
		w.ident(&e.Identifier)
	case *ast.PrivateDotExpression:
		e.Left = w.expr(e.Left)
		w.ident(&e.Identifier.Identifier)
	case *ast.OptionalChain:
		e.Expression = w.expr(e.Expression)
	case *ast.Optional:
		e.Expression = w.expr(e.Expression)
	case *ast.FunctionLiteral:
		w.function(e)
	case *ast.ClassLiteral:
		w.class(e)
	case *ast.ArrowFunctionLiteral:
		w.params(e.ParameterList)
		switch body := e.Body.(type) {
		case *ast.BlockStatement:
			w.stmts(body.List)
			body.List = insertHook(body.List, fnHook, body.LeftBrace)
		case *ast.ExpressionBody:
			x := w.expr(body.Expression)
			at := x.Idx0()
			e.Body = &ast.BlockStatement{
				LeftBrace: at,
				List: []ast.Statement{
					&ast.ExpressionStatement{Expression: hookCall(fnHook, at, at+1)},
					&ast.ReturnStatement{Return: at, Argument: x},
				},
				RightBrace: x.Idx1() - 1,
			}
		default:
			w.fail(e.Start, "cannot meter arrow body %T", body)
		}
	case *ast.Identifier:
		w.ident(e)
	case *ast.PrivateIdentifier:
		w.ident(&e.Identifier)
	case *ast.NewExpression:
		e.Callee = w.expr(e.Callee)
		w.spreads(e.ArgumentList)
	case *ast.ObjectLiteral:
		for _, p := range e.Value {
			w.property(p)
		}
	case *ast.ObjectPattern:
		for _, p := range e.Properties {
			w.property(p)
		}
		w.target(e.Rest)
	case *ast.PropertyShort, *ast.PropertyKeyed, *ast.SpreadElement:
		w.property(e.(ast.Property))
	case *ast.SequenceExpression:
		w.exprs(e.Sequence)
	case *ast.TemplateLiteral:
		e.Tag = w.expr(e.Tag)
		w.exprs(e.Expressions)
		if e.Tag == nil {
			return hookCall(catHook, e.Idx0(), e.Idx1(), e)
		}
	case *ast.UnaryExpression:
		e.Operand = w.expr(e.Operand)
	case *ast.MetaProperty:
		w.ident(e.Meta)
		w.ident(e.Property)
	case *ast.Binding:
		w.binding(e)
	default:
		w.fail(e.Idx0(), "cannot meter expression %T", e)
	}
	return e
}
