/* stub: replaced by its owner */
