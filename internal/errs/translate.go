package errs

import "fmt"

// Say adds the message in another language (a tag such as "zh"), built
// from its own format and the same values, and returns e: a capability
// whose sentence carries numbers can give its translation where it knows
// them, errs.Field("text", "… %d …", n).Say("zh", "… %d …", n).
func (e *Error) Say(lang, format string, args ...any) *Error {
	if e.Translations == nil {
		e.Translations = map[string]string{}
	}
	e.Translations[lang] = fmt.Sprintf(format, args...)
	return e
}
