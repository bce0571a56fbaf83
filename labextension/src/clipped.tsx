/** A text that may be cut with an ellipsis in a narrow sidebar; its full value is always in its tooltip. */
import * as React from 'react';

export function Clipped(props: { className: string; text: string; title?: string }): JSX.Element {
  return (
    <span className={`jp-InferPanel-clip ${props.className}`} title={props.title ?? props.text}>
      {props.text}
    </span>
  );
}

